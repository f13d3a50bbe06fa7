#!/usr/bin/env bash
# The testbed's own test: set up, start, drive, check the traces, show the
# lost update on the live database, stop. Prints "N passed, N failed" last and
# exits non-zero when anything failed. Bounded: every step has a timeout.
set -uo pipefail

# The whole run is bounded too: at 290 s the watchdog stops it (and its
# trap still stops the services).
if [ -z "${TESTBED_SELFTEST_WATCHED:-}" ]; then
    TESTBED_SELFTEST_WATCHED=1 exec timeout -k 20 290 "$0" "$@"
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="$HERE/.venv/bin/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/testbed-selftest.XXXXXX")"
export TESTBED_STATE_DIR="$WORK/state"
export TESTBED_TRACE_DIR="$WORK/traces"
# A wider read-write window than the default 100 ms, so that the races below
# show even on a loaded machine.
export TESTBED_SLEEP_MS="${TESTBED_SLEEP_MS:-300}"
BANK="http://${TESTBED_HOST:-127.0.0.1}:${TESTBED_BANK_PORT:-5101}"

passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ $# -lt 2 ] || echo "       $2"; }
# check NAME CMD...: CMD must exit 0 within 60 s.
check() {
    local name="$1"; shift
    local out
    if out="$(timeout 60 "$@" 2>&1)"; then ok "$name"; else bad "$name" "$(tail -n 5 <<<"$out")"; fi
}
# expect NAME ACTUAL WANTED
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', wanted '$3'"; fi; }

cleanup() {
    [ -x "$PY" ] && timeout 30 "$PY" "$HERE/testbed.py" stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
interrupted() {
    bad "selftest interrupted or out of time"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 1
}
trap interrupted INT TERM

# Setup: the first run may install; the second must find everything there.
if timeout 240 "$HERE/setup.sh"; then ok "setup.sh"; else
    bad "setup.sh"; echo "$passed passed, $failed failed, $skipped skipped"; exit 1
fi
expect "setup.sh is quiet when all is there" "$(timeout 60 "$HERE/setup.sh" 2>&1)" ""

# MariaDB down and never initialised: in private namespaces, the real server untouched.
if [ "$(id -u)" = 0 ] && unshare --mount --pid --fork --net true 2>/dev/null; then
    check "setup.sh initialises, starts and opens a fresh MariaDB (namespaced)" "$HERE/setup-fresh-test.sh"
else
    skipped=$((skipped + 1)); echo "skip - setup.sh on a fresh MariaDB (needs root and unshare)"
fi

# http METHOD URL [BODY]: prints "<status> <body>". Method RAW is a POST
# without Content-Type, as a replay that lost the header would send it.
http() {
    "$PY" - "$@" <<'PY'
import sys, requests
method, url = sys.argv[1], sys.argv[2]
data = sys.argv[3] if len(sys.argv) > 3 else None
headers = {} if method == "RAW" else {"Content-Type": "application/json"}
r = requests.request("POST" if method == "RAW" else method, url, data=data, headers=headers, timeout=10)
print(r.status_code, r.text.strip())
PY
}

check "reset the databases" "$PY" "$HERE/testbed.py" reset
check "start bank and shop" "$PY" "$HERE/testbed.py" start
check "starting twice is refused" bash -c "! '$PY' '$HERE/testbed.py' start"
check "workload: every request answers as expected" "$PY" "$HERE/workload.py" full

# The rolled-back overdraft left account 1 at 100 - 30 - 50.
expect "rollback keeps the balance" "$(http GET "$BANK/accounts/1")" \
    '200 {"balance":20,"id":1,"owner":"alice"}'

# Bad input is a 400 naming the problem, never a crash.
expect "non-integer amount is refused" "$(http POST "$BANK/withdraw" '{"account": 1, "amount": "lots"}')" \
    "400 {\"error\":\"field 'amount' must be an integer, got 'lots'\"}"
expect "body that is not JSON is refused" "$(http POST "$BANK/withdraw" 'nonsense')" \
    '400 {"error":"the body must be a JSON object"}'
expect "unknown route answers in JSON" "$(http GET "$BANK/nowhere" | cut -c1-13)" '404 {"error":'
expect "a JSON body without Content-Type is read" "$(http RAW "$BANK/withdraw" '{"account": 3, "amount": 1}')" \
    '200 {"account":3,"balance":74}'
expect "unknown account is a 404" "$(http POST "$BANK/withdraw" '{"account": 99, "amount": 1}')" \
    '404 {"error":"no account 99"}'

# The lost update, live: two withdrawals of 30 and 50 from 100 at once.
race="$(timeout 60 "$PY" "$HERE/workload.py" race 2>&1 | grep '^race:')"
final="$(sed -n 's/.*final \([-0-9]*\), serial would be \([-0-9]*\)/\1 \2/p' <<<"$race")"
read -r got serial <<<"$final"
if [ -n "${got:-}" ] && [ "$got" != "$serial" ] && { [ "$got" = 70 ] || [ "$got" = 50 ]; }; then
    ok "lost update: $race"
else
    bad "lost update shows on the live database" "${race:-workload race printed no result}"
fi

# The second race: two orders read the same MAX(id); one insert collides.
orders="$(timeout 60 "$PY" "$HERE/workload.py" order-race 2>&1 | grep '^order-race:')"
expect "order ids race: one of two concurrent orders fails" "$orders" "order-race: statuses 201 409"

check "stop" "$PY" "$HERE/testbed.py" stop
expect "nothing answers after stop" "$(http GET "$BANK/health" 2>/dev/null | cut -c1-3)" ""

# The traces, written at flush and at shutdown.
for f in bank shop; do
    if [ -s "$TESTBED_TRACE_DIR/$f.jsonl" ]; then ok "trace file $f.jsonl"; else bad "trace file $f.jsonl"; fi
done
names="$("$PY" "$HERE/traces.py" names "$TESTBED_TRACE_DIR" 2>&1)"
for n in fetch-balance withdrawal commit rollback SELECT UPDATE INSERT "POST /withdraw" "POST /orders/<int:order_id>/pay"; do
    if grep -qxF "$n" <<<"$names"; then ok "span named '$n'"; else bad "span named '$n'"; fi
done
for a in db.statement db.statement.parameters http.request.body http.response.body amount; do
    n="$("$PY" "$HERE/traces.py" attr "$TESTBED_TRACE_DIR" "$a" 2>&1)"
    if [ "$n" -gt 0 ] 2>/dev/null; then ok "$n spans with attribute $a"; else bad "spans with attribute $a" "$n"; fi
done
hops="$("$PY" "$HERE/traces.py" hops "$TESTBED_TRACE_DIR" 2>&1)"
if [ "$hops" -ge 2 ] 2>/dev/null; then ok "trace context crosses shop -> bank ($hops hops)"; else
    bad "trace context crosses shop -> bank" "$hops"; fi
# Both race writes were computed from the same stale balance of 100.
writes=0
for w in '(70, 4)' '(50, 4)'; do
    grep -qF "\"key\":\"db.statement.parameters\",\"value\":{\"stringValue\":\"$w\"}" \
        "$TESTBED_TRACE_DIR/bank.jsonl" && writes=$((writes + 1))
done
expect "the trace shows both race writes computed from balance 100" "$writes" 2

# The committed recordings in examples/bank still show what their README says.
EXAMPLES="$HERE/../../examples/bank"
for v in clean:0 violating:1 lost-update:0; do
    n="$("$PY" "$HERE/traces.py" overdrafts "$EXAMPLES/${v%%:*}" 2>&1 | wc -l)"
    expect "examples/bank/${v%%:*}: ${v##*:} committed overdraft(s)" "$n" "${v##*:}"
done
expect "examples/bank/clean has a rollback" \
    "$("$PY" "$HERE/traces.py" names "$EXAMPLES/clean" 2>&1 | grep -cx rollback)" 1

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
