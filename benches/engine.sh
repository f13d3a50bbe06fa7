#!/usr/bin/env bash
# The engine against its peers, side by side in one run (issue #4):
# transitive closure and same generation on seeded random graphs against
# Nemo (nemo-python) and DuckDB (recursive CTE with USING KEY), each
# single-threaded in its own process, then the standard conflict rules on
# the facts of TrainTicket traces scaled to ~100k and ~1M spans.
# Peers come from PyPI into bench-data/venv; generated data stays in
# bench-data/ (ignored), made once and reused.
#   benches/engine.sh                      # everything
#   benches/engine.sh --cases tc-2k sg-2k  # extra arguments go to engine_bench.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench-data/venv
PEERS=${PEERS:-"duckdb==2.0.1 nemo-python==0.10.1"}
# Conflict rules: trace copies with a schema each ("tpc": copies share no
# row, output linear in the copies) and copies sharing the schema ("hot":
# reads that pin no key meet every copy's writes, output quadratic).
TPC_COPIES=${TPC_COPIES:-"110 1100"}
HOT_COPIES=${HOT_COPIES:-"110"}
SRC=../shared/traces/trainticket

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# shellcheck disable=SC2086 # PEERS is a list of requirements
"$VENV/bin/pip" install --quiet --disable-pip-version-check $PEERS
cargo build --release --quiet
BIN=target/release/rulecheck

# lower KIND COPIES [scale_traces.py flags]: make and lower one scaled set once.
traces=()
lower() {
  local kind=$1 n=$2
  shift 2
  local data=bench-data/scaled-$kind-$n facts=bench-data/engine/facts-$kind-$n
  if [ ! -f "$data/.done" ]; then
    rm -rf "$data"
    python3 benches/scale_traces.py --copies "$n" "$@" "$SRC"/case1 "$SRC"/case2 "$SRC"/case3 --out "$data"
    touch "$data/.done"
  fi
  if [ ! -f "$facts/.done" ] || [ ! -f "$facts/facts.image" ]; then
    rm -rf "$facts"
    "$BIN" facts "$data" -o "$facts"
    touch "$facts/.done"
  fi
  traces+=("facts-$kind-$n")
}
if [ -d "$SRC" ]; then
  for n in $TPC_COPIES; do lower tpc "$n" --table-per-copy; done
  for n in $HOT_COPIES; do lower hot "$n"; done
else
  echo "conflict rules on scaled traces skipped: $SRC not found" >&2
fi

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $("$VENV/bin/python" -c 'import duckdb, importlib.metadata as m; print("duckdb", duckdb.__version__, "nemo-python", m.version("nemo-python"))')"
"$VENV/bin/python" benches/engine_bench.py --traces "${traces[@]}" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
