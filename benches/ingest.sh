#!/usr/bin/env bash
# Ingest + lowering throughput on ~1,000,000 spans: the TrainTicket traces of
# ../shared replicated with fresh ids (benches/scale_traces.py). Reports
# spans/s on one and on all cores (the --stats line, median of the runs),
# whole-command times (hyperfine) and peak memory (GNU time).
#   COPIES=1100 RUNS=5 benches/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${COPIES:-1100}
RUNS=${RUNS:-5}
SRC=../shared/traces/trainticket
DATA=bench-data/scaled-$COPIES
[ -d "$SRC" ] || { echo "skipped: $SRC not found"; exit 0; }
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
if [ ! -f "$DATA/.done" ]; then
  rm -rf "$DATA"
  python3 benches/scale_traces.py --copies "$COPIES" "$SRC"/case1 "$SRC"/case2 "$SRC"/case3 --out "$DATA"
  touch "$DATA/.done"
fi
cargo build --release --quiet
BIN=target/release/rulecheck
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# A fixed CPU-bound loop, timed before and after: this host's speed moves
# with its neighbours (the same loop took 1.1 s and 3.6 s on other days).
calibrate() {
  python3 -c 'import time
t = time.perf_counter(); s = 0
for i in range(20_000_000): s += i
print(f"== host speed: 20M Python additions in {time.perf_counter() - t:.2f} s")'
}
calibrate

# One thread runs pinned to one core (taskset), so that "one core" holds
# for the kernel's work on its behalf (page faults) too.
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
for threads in 1 $(nproc); do
  echo "== RAYON_NUM_THREADS=$threads"
  rates=()
  pin=()
  [ "$threads" = 1 ] && pin=("${PIN[@]}")
  for _ in $(seq "$RUNS"); do
    line=$(RAYON_NUM_THREADS=$threads /usr/bin/time -f 'peak_rss_kb %M' "${pin[@]}" "$BIN" facts "$DATA" -o "$OUT" --stats 2>&1 >/dev/null | tr '\n' ' ')
    rate=$(sed -E 's/.*\(([0-9]+) spans\/s.*/\1/' <<<"$line")
    rss=$(sed -E 's/.*peak_rss_kb ([0-9]+).*/\1/' <<<"$line")
    rates+=("$rate")
    echo "  $(grep -o 'ingest+lower: [^(]*' <<<"$line")-> $rate spans/s, peak RSS $((rss / 1024)) MiB;$(sed -nE 's/.*cpu:( user [0-9.]+ s, system [0-9.]+ s).*/\1/p' <<<"$line")"
  done
  median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "  median ingest+lower: $median spans/s"
done
echo "== whole command (ingest + lowering + writing the .facts files)"
hyperfine --runs "$RUNS" --warmup 1 \
  "RAYON_NUM_THREADS=1 $BIN facts $DATA -o $OUT" \
  "$BIN facts $DATA -o $OUT"
calibrate
