#!/usr/bin/env python3
"""Check a scale_traces.py output against its sources: a pure renumbering.

Why this exists: a benchmark input that silently shares ids between copies
(or renames things that are not ids) measures the wrong thing, and nobody
would notice from timings. This reads the output independently of the
generator's code and checks, document by document against its source:

  - the span count is exactly N x the sources';
  - the JSON is the same except for id tokens: strings are split at
    punctuation, and every token that differs is an id in the source (a
    UUID, 32 hex digits, or a value learned as an id) — numbers, names,
    times and structure are untouched;
  - within a copy the renaming is one-to-one and the same in every file
    (so joins and conflicts inside a copy are kept), and no new value
    occurs in another copy or among the source's tokens;
  - (segmentId, spanId) pairs are unique over the whole output.

With --table-per-copy, the table names the statements name count as ids
(each copy has its own schema).

Usage: check_scale.py SRC_DIR... --copies N --out DIR [--table-per-copy]
Exit 0 when all hold, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_traces import MARK, load, source_files  # noqa: E402  (reading the sources only)

ID_TOKEN = re.compile(
    r"\A(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})\Z"
)
SPLIT = re.compile(r"([^A-Za-z0-9_\-]+)")


def output_lines(out_dir: str):
    names = sorted(n for n in os.listdir(out_dir) if n.startswith("traces-"))
    for name in names:
        path = os.path.join(out_dir, name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                yield f"{name}:{n}", line


class Check:
    def __init__(self, learned: set, tables: set):
        self.learned = learned
        self.tables = tables  # ids inside SQL statements only
        self.problems: list[str] = []
        self.forward: dict[str, str] = {}  # this copy: source token → new token
        self.backward: dict[str, str] = {}
        self.used: dict[str, int] = {}  # new token → copy that made it
        self.source_tokens: set[str] = set()

    def fail(self, msg: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(msg)

    def is_id(self, tok: str, sql: bool = False) -> bool:
        return bool(ID_TOKEN.match(tok)) or tok in self.learned or (sql and tok in self.tables)

    def strings(self, a: str, b: str, where: str, copy: int) -> None:
        sql = MARK in a  # a statement whose table names were marked for renaming
        a = a.replace(MARK, "")
        ta, tb = SPLIT.split(a), SPLIT.split(b)
        self.source_tokens.update(ta)
        if len(ta) != len(tb):
            self.fail(f"{where}: {a[:80]!r} became {b[:80]!r} (token structure changed)")
            return
        for x, y in zip(ta, tb):
            if x == y:
                if self.is_id(x, sql):
                    self.fail(f"{where}: id {x} kept its source value")
                continue
            if not self.is_id(x, sql):
                self.fail(f"{where}: {x!r} is not an id but became {y!r}")
                continue
            if self.forward.setdefault(x, y) != y:
                self.fail(f"{where}: {x} became {y} here and {self.forward[x]} elsewhere in the copy")
            if self.backward.setdefault(y, x) != x:
                self.fail(f"{where}: {y} stands for both {x} and {self.backward[y]}")
            if self.used.setdefault(y, copy) != copy:
                self.fail(f"{where}: {y} occurs in copies {self.used[y]} and {copy}")

    def walk(self, a, b, where: str, copy: int) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            if list(a) != list(b):
                self.fail(f"{where}: keys differ")
                return
            for k in a:
                self.walk(a[k], b[k], f"{where}.{k}", copy)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                self.fail(f"{where}: list length {len(a)} became {len(b)}")
                return
            for i, (x, y) in enumerate(zip(a, b)):
                self.walk(x, y, f"{where}[{i}]", copy)
        elif isinstance(a, str) and isinstance(b, str):
            self.strings(a, b, where, copy)
        elif a != b or type(a) is not type(b):
            self.fail(f"{where}: {a!r} became {b!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", nargs="+", metavar="SRC_DIR")
    ap.add_argument("--copies", type=int, required=True, metavar="N")
    ap.add_argument("--out", required=True, metavar="DIR")
    ap.add_argument("--table-per-copy", action="store_true", help="the output was made with --table-per-copy")
    args = ap.parse_args(argv)
    files = source_files(args.src)
    texts, counts, learned, tables = load(files, args.table_per_copy)
    sources = [json.loads(t) for t in texts]
    check = Check(learned, {t.strip(MARK) for t in tables})
    spans = 0
    docs = 0
    seen_spans: set[tuple[str, int]] = set()
    for where, line in output_lines(args.out):
        copy, i = divmod(docs, len(files))
        if i == 0:
            check.forward, check.backward = {}, {}
        docs += 1
        try:
            doc = json.loads(line)
            out_spans = doc["data"]["trace"]["spans"]
        except (ValueError, KeyError, TypeError) as e:
            check.fail(f"{where}: not a queryTrace document: {e}")
            continue
        spans += len(out_spans)
        for s in out_spans:
            key = (s["segmentId"], s["spanId"])
            if key in seen_spans:
                check.fail(f"{where}: span {key[0]}-{key[1]} occurs twice in the output")
            seen_spans.add(key)
        check.walk(sources[i], doc, f"{where} (copy {copy} of {os.path.basename(files[i])})", copy)
    want_docs = len(files) * args.copies
    want_spans = sum(counts) * args.copies
    if docs != want_docs:
        check.fail(f"{docs} documents, expected {want_docs}")
    if spans != want_spans:
        check.fail(f"{spans} spans, expected {want_spans}")
    clash = set(check.used) & check.source_tokens
    if clash:
        check.fail(f"new values equal to source tokens: {sorted(clash)[:5]}")
    renamed_per_copy = len(check.used) // max(args.copies, 1)
    print(f"{docs} documents, {spans} spans, {len(check.used)} new id values (~{renamed_per_copy} per copy)")
    for p in check.problems:
        print("FAIL " + p, file=sys.stderr)
    if not check.problems:
        print("OK: copies are renumberings of the sources and share no id")
    return 1 if check.problems else 0


if __name__ == "__main__":
    sys.exit(main())
