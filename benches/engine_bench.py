#!/usr/bin/env python3
"""Engine benchmark: rulecheck against Nemo and DuckDB, side by side in one run.

Why this exists: the rule engine must be faster than the peers a user could
reach for instead, on the textbook recursive programs, and evaluate the
standard conflict rules on a million spans in seconds (issue #4). Numbers
from one run on one machine, never from a timed test.

Part 1: transitive closure and same generation on seeded random directed
graphs, each program written for each system (rulecheck's Soufflé syntax,
Nemo's rule syntax, DuckDB's `WITH RECURSIVE ... USING KEY`). Every engine
is single-threaded and runs in its own process; wall time is the median of
the runs, peak RSS the largest of them (from wait4, so a peer's Python
interpreter counts, as it would for its user). Each program ends in a count
so no engine pays for printing millions of rows; the counts must agree.
The in-process time is what each engine reports for evaluation alone:
rulecheck's `--stats` line (from the parsed edge.facts rows), Nemo's
`reason()` (it imports the file lazily, so reading included), DuckDB's
query after the table is loaded.

Part 2: `rulecheck eval` with the standard library on the facts lowered from
scaled TrainTicket traces (benches/scale_traces.py): the folder as
`rulecheck facts` leaves it (read through its facts.image) and its .facts
files alone, each on one thread and on every core. "median s" is the whole
command (reading, evaluation, sorting and printing the output), "in-proc s"
evaluation alone.

Called by benches/engine.sh, which makes the virtualenv and the binary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# (case, program, nodes, edges, runs). At 2,000 nodes and out-degree 3 the
# graph is one giant strongly connected component: 3.5M tuples for either
# program, 20-130 s for the peers. The larger graph has more nodes but
# out-degree 1.2, just above the giant component's threshold, so the
# slowest peer takes about 10 s (found by trying on this machine: 8,000
# nodes at the same degree took Nemo 36 s on tc).
GRAPH_CASES = [
    ("tc-2k", "tc", 2_000, 6_000, 5),
    ("sg-2k", "sg", 2_000, 6_000, 5),
    ("tc-4k", "tc", 4_000, 4_800, 3),
    ("sg-4k", "sg", 4_000, 4_800, 3),
]
SEED = 20261125
ENGINES = ["rulecheck", "nemo", "duckdb"]

RULECHECK = {
    "tc": """
.decl edge(x: number, y: number)
.input edge
.decl tc(x: number, y: number)
tc(x, y) :- edge(x, y).
tc(x, z) :- tc(x, y), edge(y, z).
.decl result(n: number)
result(n) :- n = count : tc(_, _).
.output result
""",
    "sg": """
.decl edge(x: number, y: number)
.input edge
.decl sg(x: number, y: number)
sg(x, y) :- edge(p, x), edge(p, y), x != y.
sg(x, y) :- edge(a, x), sg(a, b), edge(b, y).
.decl result(n: number)
result(n) :- n = count : sg(_, _).
.output result
""",
}

NEMO = {
    "tc": """
@import edge :- tsv{resource="%(edges)s"}.
tc(?x, ?y) :- edge(?x, ?y).
tc(?x, ?z) :- tc(?x, ?y), edge(?y, ?z).
result(#count(?x, ?y)) :- tc(?x, ?y).
@output result.
""",
    "sg": """
@import edge :- tsv{resource="%(edges)s"}.
sg(?x, ?y) :- edge(?p, ?x), edge(?p, ?y), ?x != ?y.
sg(?x, ?y) :- edge(?a, ?x), sg(?a, ?b), edge(?b, ?y).
result(#count(?x, ?y)) :- sg(?x, ?y).
@output result.
""",
}

# The recursive part reads only the previous round's rows (`tc`); the
# anti-join on `recurring.tc` (every row so far) keeps it from producing
# known rows again, which under USING KEY would refill the working table
# and never stop. That is semi-naive evaluation, as the Datalog engines do.
DUCKDB = {
    "tc": """
WITH RECURSIVE tc(x, y) USING KEY (x, y) AS (
    SELECT x, y FROM edge
    UNION
    SELECT t.x, e.y FROM tc t JOIN edge e ON e.x = t.y
    WHERE NOT EXISTS (SELECT 1 FROM recurring.tc r WHERE r.x = t.x AND r.y = e.y)
)
SELECT count(*) FROM tc
""",
    "sg": """
WITH RECURSIVE sg(x, y) USING KEY (x, y) AS (
    SELECT e1.y, e2.y FROM edge e1 JOIN edge e2 ON e2.x = e1.x WHERE e1.y <> e2.y
    UNION
    SELECT e1.y, e2.y FROM sg s JOIN edge e1 ON e1.x = s.x JOIN edge e2 ON e2.x = s.y
    WHERE NOT EXISTS (SELECT 1 FROM recurring.sg r WHERE r.x = e1.y AND r.y = e2.y)
)
SELECT count(*) FROM sg
""",
}

STATS_LINE = re.compile(r"stats: eval: .* in ([0-9.]+) s")


def make_graph(path: Path, nodes: int, edges: int, seed: int) -> None:
    """Distinct directed edges without self-loops, the same bytes for the same arguments."""
    rng = random.Random(seed)
    seen: set[tuple[int, int]] = set()
    while len(seen) < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            seen.add((a, b))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{a}\t{b}\n" for a, b in sorted(seen)))
    tmp.replace(path)


def run_measured(cmd: list[str], env: dict[str, str], timeout: float, rows_only: bool = False) -> tuple[float, int, str | int, str, int]:
    """Wall seconds, peak RSS in KiB, stdout, stderr and exit code of one process.

    The child is reaped with wait4 so the peak RSS is its own, not the
    running maximum over every child this driver has had. With `rows_only`,
    stdout is given as its count of rows (lines neither empty nor `#`
    headers), read in pieces: holding a gigabyte of output here would
    grow this driver, and a child forked from a large driver counts the
    driver's pages in its own peak before it execs.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode == -9 and wall >= timeout:
            raise SystemExit(f"error: timed out after {timeout:.0f} s: {' '.join(cmd)}")
        out.seek(0)
        err.seek(0)
        if rows_only:
            rows = sum(1 for line in out if line.strip() and not line.startswith(b"#"))
            return wall, usage.ru_maxrss, rows, err.read().decode(), proc.returncode
        return wall, usage.ru_maxrss, out.read().decode(), err.read().decode(), proc.returncode


def single_thread_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RAYON_NUM_THREADS"] = "1"
    # Nemo has no thread setting: its reasoning runs on one thread (its
    # timing tree reports the same process and thread CPU time).
    return env


def engine_cmd(engine: str, program: str, case_dir: Path, bin_path: Path) -> list[str]:
    if engine == "rulecheck":
        rules = case_dir / f"{program}.rules"
        rules.write_text(RULECHECK[program])
        return [str(bin_path), "eval", str(case_dir), "-r", str(rules), "--format", "tsv", "--stats"]
    return [sys.executable, str(Path(__file__).resolve()), "--worker", engine, program, str(case_dir)]


def parse_result(engine: str, out: str, err: str, code: int, cmd: list[str]) -> tuple[int, float | None]:
    """The count and the in-process seconds a run printed."""
    if code != 0:
        raise SystemExit(f"error: exit code {code}: {' '.join(cmd)}\n{err}")
    if engine == "rulecheck":
        lines = [l for l in out.splitlines() if l and not l.startswith("#")]
        m = STATS_LINE.search(err)
        if len(lines) != 1 or not m:
            raise SystemExit(f"error: unexpected rulecheck output: {out!r} {err!r}")
        return int(lines[0]), float(m.group(1))
    doc = json.loads(out)
    return int(doc["count"]), float(doc["eval_s"])


def worker(engine: str, program: str, case_dir: Path) -> None:
    """Runs one peer in this process and prints {count, eval_s} as JSON."""
    edges = case_dir / "edge.facts"
    if engine == "nemo":
        import nmo_python

        prog = nmo_python.load_string(NEMO[program] % {"edges": edges.resolve()})
        started = time.perf_counter()
        nemo = nmo_python.NemoEngine(prog)
        nemo.reason()
        rows = list(nemo.result("result"))
        secs = time.perf_counter() - started
        count = int(rows[0][0])
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute("SET threads = 1")
        con.execute(
            "CREATE TABLE edge AS SELECT * FROM read_csv(?, delim = '\t', header = false, "
            "columns = {'x': 'INTEGER', 'y': 'INTEGER'})",
            [str(edges)],
        )
        started = time.perf_counter()
        count = con.execute(DUCKDB[program]).fetchone()[0]
        secs = time.perf_counter() - started
    else:
        raise SystemExit(f"error: unknown engine {engine!r}")
    print(json.dumps({"count": count, "eval_s": secs}))


def bench_graphs(args: argparse.Namespace, rows: list[list[str]]) -> None:
    env = single_thread_env()
    cases = [c for c in GRAPH_CASES if not args.cases or c[0] in args.cases]
    for case, program, nodes, edges, runs in cases:
        case_dir = args.data / "graphs" / f"n{nodes}-e{edges}"
        edge_file = case_dir / "edge.facts"
        if not edge_file.exists():
            make_graph(edge_file, nodes, edges, SEED + nodes)
        runs = args.runs or runs
        results: dict[str, tuple[float, int, int, float]] = {}
        for engine in ENGINES:
            if args.engines and engine not in args.engines:
                continue
            cmd = engine_cmd(engine, program, case_dir, args.bin)
            walls, rss, evals, counts = [], [], [], set()
            for _ in range(runs):
                wall, maxrss, out, err, code = run_measured(cmd, env, args.timeout)
                count, secs = parse_result(engine, out, err, code, cmd)
                walls.append(wall)
                rss.append(maxrss)
                evals.append(secs)
                counts.add(count)
            if len(counts) != 1:
                raise SystemExit(f"error: {engine} gave different counts on {case}: {sorted(counts)}")
            results[engine] = (statistics.median(walls), max(rss), counts.pop(), statistics.median(evals))
            print(f"  {case} {engine}: {results[engine][0]:.3f} s", file=sys.stderr, flush=True)
        distinct = {r[2] for r in results.values()}
        if len(distinct) != 1:
            detail = ", ".join(f"{e}={r[2]}" for e, r in results.items())
            raise SystemExit(f"error: the engines disagree on {case}: {detail}")
        base = results.get("rulecheck")
        for engine, (wall, maxrss, count, secs) in results.items():
            ratio = f"{wall / base[0]:.2f}" if base else "-"
            rows.append(
                [f"{case} ({nodes}/{edges})", engine, f"{wall:.3f}", f"{secs:.3f}", f"{maxrss / 1024:.0f}", str(count), ratio]
            )


def files_only(facts_dir: Path) -> Path:
    """A sibling folder of links to the .facts files, without facts.image,
    so that the files themselves are read."""
    out = facts_dir.with_name(facts_dir.name + "-files")
    out.mkdir(exist_ok=True)
    for f in facts_dir.glob("*.facts"):
        link = out / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    return out


def bench_traces(args: argparse.Namespace, rows: list[list[str]]) -> None:
    for name in args.traces:
        facts_dir = args.data / name
        if not (facts_dir / ".done").exists() or not (facts_dir / "facts.image").exists():
            raise SystemExit(f"error: {facts_dir} (with facts.image) is missing; benches/engine.sh lowers the traces first")
        spans = sum(1 for _ in open(facts_dir / "span.facts", "rb"))
        # The image (as `rulecheck facts` leaves the folder) and the .facts
        # files alone; one thread and every core.
        for source, folder in (("image", facts_dir), ("files", files_only(facts_dir))):
            for threads in sorted({1, os.cpu_count() or 1}):
                env = dict(os.environ)
                env["RAYON_NUM_THREADS"] = str(threads)
                bench_conflicts(args, rows, name, spans, source, folder, threads, env)


def bench_conflicts(args, rows, name, spans, source, folder, threads, env) -> None:
    cmd = [str(args.bin), "eval", str(folder), "--facts", str(args.repo / "facts" / "trainticket"), "--format", "tsv", "--stats"]
    walls, rss, evals, outs = [], [], [], set()
    for _ in range(args.trace_runs):
        wall, maxrss, printed, err, code = run_measured(cmd, env, args.timeout, rows_only=True)
        # 1 is "invariant violations found", a normal outcome here.
        if code not in (0, 1):
            raise SystemExit(f"error: exit code {code}: {' '.join(cmd)}\n{err}")
        m = STATS_LINE.search(err)
        if not m:
            raise SystemExit(f"error: no stats line from rulecheck: {err!r}")
        if (source == "image") != ("(1 of 1 from facts.image)" in err):
            raise SystemExit(f"error: expected to read the {source}: {err!r}")
        walls.append(wall)
        rss.append(maxrss)
        evals.append(float(m.group(1)))
        outs.add(printed)
        print(f"  conflicts {spans} spans, {source}, {threads} thread(s): {wall:.3f} s", file=sys.stderr, flush=True)
    if len(outs) != 1:
        raise SystemExit(f"error: runs printed different row counts: {sorted(outs)}")
    kind = "hot" if "hot" in name else "tpc"
    rows.append(
        [f"conflicts {kind} {spans} {source} {threads}t", "rulecheck", f"{statistics.median(walls):.3f}", f"{statistics.median(evals):.3f}",
         f"{max(rss) / 1024:.0f}", str(outs.pop()), "-"]
    )


HEADER = ["case (nodes/edges)", "engine", "median s", "in-proc s", "peak MiB", "tuples", "ratio"]
WIDTHS = [30, 9, 9, 9, 8, 8, 6]


class Table(list):
    """Rows printed as they are measured, so a run cut short keeps them."""

    def append(self, row: list[str]) -> None:
        if not self:
            print(self.line(HEADER))
            print("  ".join("-" * w for w in WIDTHS))
        super().append(row)
        print(self.line(row), flush=True)

    @staticmethod
    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, WIDTHS)))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
        return
    repo = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", type=Path, default=repo / "target" / "release" / "rulecheck")
    p.add_argument("--data", type=Path, default=repo / "bench-data" / "engine")
    p.add_argument("--cases", nargs="*", help="graph cases to run (default: all)")
    p.add_argument("--engines", nargs="*", help="engines to run (default: all)")
    p.add_argument("--runs", type=int, help="runs per engine and case (default: 5 small, 3 large)")
    p.add_argument("--traces", nargs="*", default=[], metavar="FACTS_DIR",
                   help="facts folders under --data (as engine.sh lowers them) to evaluate the conflict rules on")
    p.add_argument("--trace-runs", type=int, default=3)
    p.add_argument("--timeout", type=float, default=600)
    args = p.parse_args()
    args.repo = repo
    rows = Table()
    bench_graphs(args, rows)
    bench_traces(args, rows)


if __name__ == "__main__":
    main()
