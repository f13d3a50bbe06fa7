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

for threads in 1 $(nproc); do
  echo "== RAYON_NUM_THREADS=$threads"
  rates=()
  for _ in $(seq "$RUNS"); do
    line=$(RAYON_NUM_THREADS=$threads /usr/bin/time -f 'peak_rss_kb %M' "$BIN" facts "$DATA" -o "$OUT" --stats 2>&1 >/dev/null | tr '\n' ' ')
    rate=$(sed -E 's/.*\(([0-9]+) spans\/s.*/\1/' <<<"$line")
    rss=$(sed -E 's/.*peak_rss_kb ([0-9]+).*/\1/' <<<"$line")
    rates+=("$rate")
    echo "  $(grep -o 'ingest+lower: [^(]*' <<<"$line")-> $rate spans/s, peak RSS $((rss / 1024)) MiB"
  done
  median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "  median ingest+lower: $median spans/s"
done
echo "== whole command (ingest + lowering + writing the .facts files)"
hyperfine --runs "$RUNS" --warmup 1 \
  "RAYON_NUM_THREADS=1 $BIN facts $DATA -o $OUT" \
  "$BIN facts $DATA -o $OUT"
