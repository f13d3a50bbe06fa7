#!/usr/bin/env bash
# Tests setup.sh's path for a machine where MariaDB is down and has never been
# initialised, without touching the real server: private mount, pid and
# network namespaces, with empty tmpfs over MariaDB's folders. Whatever starts
# inside dies with the namespace. Needs root and unshare; exits 0 on success.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${1:-}" != --inside ]; then
    exec timeout -k 5 120 unshare --mount --pid --fork --mount-proc --net "$0" --inside
fi

ip link set lo up
for dir in /var/lib/mysql /run/mysqld /var/log/mysql; do
    [ -d "$dir" ] || { echo "no $dir: is mariadb-server installed?"; exit 1; }
    mount -t tmpfs tmpfs "$dir"
    chown mysql:mysql "$dir"
done

out="$("$HERE/setup.sh" 2>&1)" || { echo "$out"; exit 1; }
for step in "initialising the MariaDB data directory" "starting MariaDB" "allowing root over TCP"; do
    grep -q "$step" <<<"$out" || { echo "setup.sh did not report: $step"; echo "$out"; exit 1; }
done
"$HERE/.venv/bin/python" - <<'PY'
import pymysql
pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=5).close()
PY
again="$("$HERE/setup.sh" 2>&1)"
[ -z "$again" ] || { echo "second setup.sh was not quiet: $again"; exit 1; }
