#!/usr/bin/env bash
# Makes the testbed runnable on this machine, and is quiet when it already is:
#   1. MariaDB installed (apt-get, once), running on TESTBED_DB_HOST:TESTBED_DB_PORT,
#      and reachable there as root with an empty password;
#   2. the virtualenv tests/testbed/.venv with requirements.txt from PyPI.
# Runs as root (no sudo). Every wait is bounded.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DB_HOST="${TESTBED_DB_HOST:-127.0.0.1}"
DB_PORT="${TESTBED_DB_PORT:-3306}"
VENV="$HERE/.venv"
MARIADBD=/usr/sbin/mariadbd

say() { echo "setup: $*" >&2; }
die() { say "$*"; exit 1; }

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
        apt_updated=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

db_answers() { (exec 3<>"/dev/tcp/$DB_HOST/$DB_PORT") 2>/dev/null; }

# 1. MariaDB -----------------------------------------------------------------
if [ ! -x "$MARIADBD" ]; then
    [ "$(id -u)" = 0 ] || die "mariadbd is missing and installing it needs root"
    apt_install mariadb-server mariadb-client
fi

if ! db_answers; then
    if [ "$DB_HOST" != 127.0.0.1 ] && [ "$DB_HOST" != localhost ]; then
        die "MariaDB at $DB_HOST:$DB_PORT does not answer, and it is not on this machine"
    fi
    mkdir -p /run/mysqld /var/log/mysql
    chown mysql:mysql /run/mysqld /var/log/mysql
    if [ ! -d /var/lib/mysql/mysql ]; then
        say "initialising the MariaDB data directory"
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null \
            || die "mariadb-install-db failed"
    fi
    say "starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec "$MARIADBD" -- --user=mysql \
        || die "start-stop-daemon could not start $MARIADBD"
    for _ in $(seq 1 60); do
        db_answers && break
        sleep 0.5
    done
    db_answers || die "MariaDB did not answer on $DB_HOST:$DB_PORT within 30 s (see /var/log/mysql/error.log)"
fi

# 2. Python virtualenv ---------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV" || die "python3 -m venv failed"
    fi
fi
stamp="$VENV/.requirements.txt"
if ! cmp -s "$HERE/requirements.txt" "$stamp"; then
    say "installing requirements.txt into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" \
        || die "pip install -r requirements.txt failed"
    cp "$HERE/requirements.txt" "$stamp"
fi

# 3. Root over TCP with an empty password -------------------------------------
# Debian's own install lets root in through the Unix socket only; the
# testbed connects over TCP, so grant the same account there.
# Skipped when the environment names other credentials.
if [ -z "${TESTBED_DB_PASSWORD:-}" ] && [ "${TESTBED_DB_USER:-root}" = root ] \
    && ! "$VENV/bin/python" - "$DB_HOST" "$DB_PORT" <<'PY' 2>/dev/null
import sys, pymysql
pymysql.connect(host=sys.argv[1], port=int(sys.argv[2]), user="root", password="", connect_timeout=5).close()
PY
then
    command -v mariadb >/dev/null || die "cannot log in as root over TCP, and no mariadb client to fix it"
    say "allowing root over TCP at $DB_HOST with an empty password"
    # Both accounts: without skip-name-resolve, 127.0.0.1 is seen as localhost.
    mariadb -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
        FLUSH PRIVILEGES;" \
        || die "could not grant root over TCP (is TESTBED_DB_PASSWORD needed?)"
fi
