#!/usr/bin/env bash
# Two (or more) builds of rulecheck side by side on the ingest benchmark:
# runs alternate between the builds, so that a machine whose speed drifts
# (a shared host) slows them alike; prints each build's best and median
# ingest + lowering time (the --stats line) on one thread and on two.
# Output goes to tmpfs, so writing the .facts files does not wait on disk.
#   RUNS=5 benches/ingest_ab.sh /tmp/rulecheck-main target/release/rulecheck
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -ge 2 ] || { echo "usage: $0 BINARY BINARY..." >&2; exit 2; }
RUNS=${RUNS:-5}
DATA=${DATA:-bench-data/scaled-1100}
[ -d "$DATA" ] || { echo "skipped: $DATA not found (benches/ingest.sh makes it)"; exit 0; }
OUT=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# One thread runs pinned to one core, as in benches/ingest.sh.
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
for threads in 1 2; do
  declare -A times=()
  pin=()
  [ "$threads" = 1 ] && pin=("${PIN[@]}")
  for _ in $(seq "$RUNS"); do
    for bin in "$@"; do
      t=$(RAYON_NUM_THREADS=$threads "${pin[@]}" "$bin" facts "$DATA" -o "$OUT" --stats 2>&1 >/dev/null |
        sed -nE 's/.*ingest\+lower: .* in ([0-9.]+) s .*/\1/p')
      times[$bin]="${times[$bin]:-} $t"
    done
  done
  for bin in "$@"; do
    tr ' ' '\n' <<<"${times[$bin]}" | grep . | sort -n |
      awk -v b="$bin" -v th="$threads" '{a[NR]=$1} END {printf "%s, %d thread(s): best %.3f s, median %.3f s (%d runs)\n", b, th, a[1], a[int((NR+1)/2)], NR}'
  done
  unset times
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
