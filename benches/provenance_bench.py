#!/usr/bin/env python3
"""Provenance benchmark: evaluation with provenance off and on, side by side.

Why this exists: `explain`, `eval --explain` and `pairs` record each derived
tuple's first derivation during evaluation (issue #5). Recording must cost
at most 2x the time and memory of evaluation without it, and evaluation
without it must cost what it did before. Numbers from one run on one
machine, never from a timed test.

Each case runs `rulecheck eval ... --stats` (off) and the same with
`--explain` (on), alternating, single-threaded; `--explain` also prints the
proofs of invariant violations, and neither program here has an invariant,
so the difference is the recording. Reported: median wall time, median
in-process evaluation time (the `--stats` line: from the parsed rows to the
last stratum), peak RSS (largest run), the on/off ratios, and the load
average before and after each case (2 cores shared with other work).

Cases: transitive closure and same generation on the seeded 2,000-node /
6,000-edge graph of engine_bench.py, and the standard conflict rules on the
facts lowered from TrainTicket traces scaled by benches/scale_traces.py
(`--table-per-copy`, so copies share no row; `--copies 110` is ~100k spans,
1100 ~1M), made under bench-data/ on first use.

    cargo build --release
    benches/provenance_bench.py                          # graphs + 110 copies
    benches/provenance_bench.py --copies 110 1100 --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench import RULECHECK, SEED, STATS_LINE, make_graph, run_measured, single_thread_env  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SRC = REPO.parent / "shared" / "traces" / "trainticket"
GRAPHS = [("tc-2k", "tc", 2_000, 6_000), ("sg-2k", "sg", 2_000, 6_000)]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def graph_case(data: Path, program: str, nodes: int, edges: int) -> list[str]:
    case_dir = data / "graphs" / f"n{nodes}-e{edges}"
    edge_file = case_dir / "edge.facts"
    if not edge_file.exists():
        make_graph(edge_file, nodes, edges, SEED + nodes)
    rules = case_dir / f"{program}.rules"
    rules.write_text(RULECHECK[program])
    return [str(case_dir), "-r", str(rules)]


def trace_case(data: Path, bin_path: Path, copies: int) -> list[str]:
    """Facts of `copies` scaled copies of case1..3, made once."""
    scaled = data / f"scaled-tpc-{copies}"
    facts = data / f"facts-tpc-{copies}"
    if not (scaled / ".done").exists():
        shutil.rmtree(scaled, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(REPO / "benches" / "scale_traces.py"), "--copies", str(copies), "--table-per-copy",
             *(str(SRC / c) for c in ("case1", "case2", "case3")), "--out", str(scaled)],
            check=True,
        )
        (scaled / ".done").touch()
    if not (facts / ".done").exists():
        shutil.rmtree(facts, ignore_errors=True)
        subprocess.run([str(bin_path), "facts", str(scaled), "-o", str(facts)], check=True, stdout=subprocess.DEVNULL)
        (facts / ".done").touch()
    return [str(facts), "--facts", str(REPO / "facts" / "trainticket")]


def measure(bin_path: Path, args: list[str], runs: int, timeout: float) -> dict[str, tuple[float, float, int, int]]:
    """Per mode: median wall s, median eval s, peak RSS KiB, output lines."""
    env = single_thread_env()
    samples: dict[str, list[tuple[float, float, int, int]]] = {"off": [], "on": []}
    for _ in range(runs):
        for mode in ("off", "on"):
            cmd = [str(bin_path), "eval", *args, "--format", "tsv", "--stats"] + (["--explain"] if mode == "on" else [])
            wall, rss, out, err, code = run_measured(cmd, env, timeout)
            if code not in (0, 1):
                raise SystemExit(f"error: exit code {code}: {' '.join(cmd)}\n{err}")
            m = STATS_LINE.search(err)
            if not m:
                raise SystemExit(f"error: no stats line: {err!r}")
            samples[mode].append((wall, float(m.group(1)), rss, out.count("\n")))
    if len({s[3] for ss in samples.values() for s in ss}) != 1:
        raise SystemExit(f"error: provenance changed the output: {samples}")
    return {
        mode: (statistics.median(s[0] for s in ss), statistics.median(s[1] for s in ss), max(s[2] for s in ss), ss[0][3])
        for mode, ss in samples.items()
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", type=Path, default=REPO / "target" / "release" / "rulecheck")
    p.add_argument("--data", type=Path, default=REPO / "bench-data" / "provenance")
    p.add_argument("--graphs", nargs="*", default=[g[0] for g in GRAPHS], help="graph cases (default: all)")
    p.add_argument("--copies", nargs="*", type=int, default=[110], help="scaled trace sets (default: 110)")
    p.add_argument("--runs", type=int, default=3, help="runs per mode and case (default: 3)")
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args()
    if not args.bin.exists():
        raise SystemExit(f"error: {args.bin} not found; run cargo build --release")
    cases: list[tuple[str, list[str] | None]] = []
    for name, program, nodes, edges in GRAPHS:
        if name in args.graphs:
            cases.append((f"{name} ({nodes}/{edges})", graph_case(args.data, program, nodes, edges)))
    for copies in args.copies:
        if SRC.is_dir():
            cases.append((f"conflicts tpc-{copies}", trace_case(args.data, args.bin, copies)))
        else:
            print(f"conflicts tpc-{copies} skipped: {SRC} not found", file=sys.stderr)
    print(f"machine: {os.cpu_count()} cores; runs per mode: {args.runs}; times in s, memory in MiB")
    header = ["case", "wall off", "wall on", "ratio", "eval off", "eval on", "ratio", "MiB off", "MiB on", "ratio", "load before/after"]
    widths = [22, 8, 8, 5, 8, 8, 5, 7, 7, 5, 24]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for name, case_args in cases:
        before = loadavg()
        r = measure(args.bin, case_args, args.runs, args.timeout)
        off, on = r["off"], r["on"]
        row = [
            name,
            f"{off[0]:.3f}", f"{on[0]:.3f}", f"{on[0] / off[0]:.2f}",
            f"{off[1]:.3f}", f"{on[1]:.3f}", f"{on[1] / max(off[1], 1e-9):.2f}",
            f"{off[2] / 1024:.0f}", f"{on[2] / 1024:.0f}", f"{on[2] / off[2]:.2f}",
            f"{before} / {loadavg()}",
        ]
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)), flush=True)


if __name__ == "__main__":
    main()
