#!/usr/bin/env python3
"""Make the large benchmark input: N renumbered copies of SkyWalking traces.

Why this exists: the real TrainTicket traces hold ~900 spans; ingest,
lowering and evaluation must be measured on ~1,000,000. Copying the files
as they are would make every copy touch the same rows and share span ids,
which measures duplicate handling and one giant conflict, not scale.
DESIGN.md: "Scaled inputs renumber every id and every key value, so copies
share no rows". So each copy gets its own value for every id-like token:

  - UUIDs (8-4-4-4-12 hex) and 32-hex tokens, which covers SkyWalking
    segment and trace ids (`<32hex>.<thread>.<seq>`) and instance names;
  - id values that are not UUIDs, learned from the input: values bound to
    SQL columns whose name contains `id`, and string values of JSON body
    fields whose name contains `id`/`Id`/`ID` (e.g. trip `D1345`).

A token is replaced wherever it stands alone (tags, SQL parameters, URLs,
bodies, endpoint names), the same way in every file of a copy, so each copy
keeps the original's joins and conflicts among itself. Numbers stay (a
numeric id such as `idx=0` cannot be told from other numbers in text);
NULL and empty values stay.

With --table-per-copy, every table a SQL statement names (after FROM, JOIN,
INTO, UPDATE) is renamed too, `orders` -> `orders_c7`: each copy is a
tenant with its own schema. Why: renumbering keys is not enough for copies
to share no rows, because a read whose WHERE pins no key (`*`, e.g. by
train number and date) touches every row of its table, so it conflicts with
every copy's writes to that table and the conflict rules' output grows with
the square of the copies. Without the flag that is what the output measures
(hot tables).

Output: SkyWalking JSON lines, one `queryTrace` document per line, about
--per-file documents per file (`traces-00000.jsonl`, or `.jsonl.gz` with
--gzip). Copies are written one after the other, streaming: memory holds
the compact source documents once, never the output. Deterministic: the
same arguments give the same bytes. Prints the total span count.
Standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
HEX32 = r"[0-9a-fA-F]{32}"
# Tokens stand alone: not glued to letters, digits or `_` on either side.
EDGE_L = r"(?<![0-9A-Za-z_])"
EDGE_R = r"(?![0-9A-Za-z_])"
PATTERN_TOKEN = re.compile(EDGE_L + "(?:" + UUID + "|" + HEX32 + ")" + EDGE_R)
UUID_RE = re.compile(UUID + r"\Z")
ID_FIELD = re.compile(r"id", re.IGNORECASE)
# Column expression per placeholder, in the order placeholders appear.
INSERT_COLUMNS = re.compile(r"^\s*insert\s+into\s+\S+\s*\(([^)]*)\)\s*values", re.IGNORECASE)
COMPARED_COLUMN = re.compile(r"([A-Za-z_][\w.]*)\s*(?:=|<>|!=|<=|>=|<|>|\s+like)\s*\?", re.IGNORECASE)
TABLE_NAME = re.compile(r"(?:\bfrom|\bjoin|\binto|(?<!key )\bupdate)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?", re.IGNORECASE)
# Marks a table name inside a statement until each copy renames it; a
# control character, which json.dumps writes as MARK_JSON.
MARK = "\x01"
MARK_JSON = "\\u0001"
IN_LIST = re.compile(r"([A-Za-z_][\w.]*)\s+in\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)


def sw_params(text: str) -> list[str]:
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.split(",")


def placeholder_columns(statement: str) -> list[str]:
    """The column each `?` is bound to, where the statement shape is plain.

    INSERT: the column list. Others: `col op ?` and `col IN (?, …)` in text
    order. Returns [] when the count does not match the placeholders (the
    values are then not learned from this statement).
    """
    m = INSERT_COLUMNS.match(statement)
    if m:
        cols = [c.strip().strip("`") for c in m.group(1).split(",")]
    else:
        found = []
        for m in COMPARED_COLUMN.finditer(statement):
            found.append((m.start(), [m.group(1)]))
        for m in IN_LIST.finditer(statement):
            found.append((m.start(), [m.group(1)] * m.group(0).count("?")))
        cols = [c for _, cs in sorted(found) for c in cs]
    return cols if len(cols) == statement.count("?") else []


def plausible_id(value: str) -> bool:
    """Values worth renaming: not empty/NULL, not a number, not a date, not a UUID
    (UUIDs are renamed by pattern)."""
    if len(value) < 2 or value.upper() == "NULL" or value in ("true", "false"):
        return False
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", value) or re.fullmatch(r"[\d\-: .]+", value):
        return False
    if UUID_RE.match(value):
        return False
    # Must fit in a token: letters, digits, `_`, `-`, `.` only.
    return re.fullmatch(r"[A-Za-z0-9_.\-]+", value) is not None


def learn_body_ids(value, out: set) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and ID_FIELD.search(k) and plausible_id(v):
                out.add(v)
            else:
                learn_body_ids(v, out)
    elif isinstance(value, list):
        for v in value:
            learn_body_ids(v, out)


def learn_tables(doc) -> set:
    """Table names the document's SQL statements name."""
    out: set = set()
    for span in doc["data"]["trace"]["spans"]:
        for t in span.get("tags") or []:
            if t.get("key") == "db.statement" and t.get("value"):
                out.update(m.group(1) for m in TABLE_NAME.finditer(t["value"]))
    return out - {"select", "set", "values"}


def learn_ids(doc) -> set:
    """Non-UUID id values a document binds to id columns or id body fields."""
    out: set = set()
    for span in doc["data"]["trace"]["spans"]:
        tags = {}
        for t in span.get("tags") or []:
            tags.setdefault(t.get("key"), t.get("value"))
        statement, params = tags.get("db.statement"), tags.get("db.sql.parameters")
        if statement and params:
            cols = placeholder_columns(statement)
            pieces = sw_params(params)
            if len(cols) == len(pieces):
                for col, value in zip(cols, pieces):
                    if ID_FIELD.search(col.rsplit(".", 1)[-1]) and plausible_id(value):
                        out.add(value)
        for key in ("http.param", "http.response"):
            body = tags.get(key)
            if body:
                try:
                    learn_body_ids(json.loads(body), out)
                except (json.JSONDecodeError, RecursionError):
                    pass
    return out


def renamed(token: str, copy: int) -> str:
    """The copy's value for a token: same shape, deterministic, distinct per copy."""
    if token.startswith(MARK_JSON):
        return f"{token[len(MARK_JSON):-len(MARK_JSON)]}_c{copy}"
    h = hashlib.sha1(f"{copy}\0{token}".encode()).hexdigest()
    if UUID_RE.match(token):
        new = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    elif len(token) == 32 and re.fullmatch(HEX32, token):
        new = h[:32]
    else:
        return f"{token}-c{copy}"
    return new.upper() if token.isupper() else new


class Template:
    """A compact source document split at its id tokens."""

    def __init__(self, text: str, regex: re.Pattern):
        self.parts: list[str] = []
        self.tokens: list[str] = []
        last = 0
        for m in regex.finditer(text):
            self.parts.append(text[last : m.start()])
            self.tokens.append(m.group(0))
            last = m.end()
        self.parts.append(text[last:])

    def render(self, mapping: dict) -> str:
        out = [self.parts[0]]
        for tok, part in zip(self.tokens, self.parts[1:]):
            out.append(mapping[tok])
            out.append(part)
        return "".join(out)


def source_files(dirs: list[str]) -> list[str]:
    files = []
    for d in dirs:
        if os.path.isfile(d):
            files.append(d)
            continue
        if not os.path.isdir(d):
            raise SystemExit(f"error: {d}: no such file or folder")
        names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        if not names:
            raise SystemExit(f"error: {d}: no .json file")
        files.extend(os.path.join(d, n) for n in names)
    return files


def load(files: list[str], tables: bool = False) -> tuple[list[str], list[int], set, set]:
    """Compact texts, span counts, learned id values, and (with `tables`)
    the table names to rename, marked in the texts as MARK + name + MARK."""
    docs, counts, learned, names = [], [], set(), set()
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            spans = doc["data"]["trace"]["spans"]
            if not isinstance(spans, list):
                raise TypeError("data.trace.spans is not a list")
            learned |= learn_ids(doc)
            if tables:
                names |= learn_tables(doc)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise SystemExit(f"error: {path}: not a SkyWalking queryTrace result: {e}")
        docs.append(doc)
        counts.append(len(spans))
    if names:
        # Table names are renamed inside SQL statements only: the same words
        # also stand in service and host names (`ts-orders-service`).
        table_re = re.compile(EDGE_L + "(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + ")" + EDGE_R)
        for doc in docs:
            for span in doc["data"]["trace"]["spans"]:
                for t in span.get("tags") or []:
                    if t.get("key") == "db.statement" and t.get("value"):
                        t["value"] = table_re.sub(lambda m: MARK + m.group(1) + MARK, t["value"])
    texts = [json.dumps(doc, ensure_ascii=False, separators=(",", ":")) for doc in docs]
    return texts, counts, learned - names, {MARK + n + MARK for n in names}


def token_regex(learned: set, tables: set = frozenset()) -> re.Pattern:
    # A marked table name is the mark as json.dumps writes it, the name, the mark.
    marked = [re.escape(json.dumps(t, ensure_ascii=False)[1:-1]) for t in sorted(tables)]
    alts = [UUID, HEX32] + marked + [re.escape(t) for t in sorted(learned, key=lambda t: (-len(t), t))]
    return re.compile(EDGE_L + "(?:" + "|".join(alts) + ")" + EDGE_R)


class Writer:
    """Rolls output files every `per_file` documents."""

    def __init__(self, out_dir: str, per_file: int, gz: bool):
        self.out_dir, self.per_file, self.gz = out_dir, per_file, gz
        self.files = 0
        self.in_file = 0
        self.f = None

    def write(self, line: str) -> None:
        if self.f is None or self.in_file == self.per_file:
            self.close()
            name = f"traces-{self.files:05d}.jsonl" + (".gz" if self.gz else "")
            path = os.path.join(self.out_dir, name)
            raw = open(path, "wb")
            # mtime=0 and no name: same input, same bytes.
            self.f = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=6) if self.gz else raw
            self.raw = raw
            self.files += 1
            self.in_file = 0
        self.f.write(line.encode("utf-8"))
        self.f.write(b"\n")
        self.in_file += 1

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            if self.gz:
                self.raw.close()
            self.f = None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Write N copies of SkyWalking queryTrace files, every id and key value "
        "renumbered per copy, as JSON lines; print the total span count.",
        epilog="Example: benches/scale_traces.py --copies 1100 "
        "../shared/traces/trainticket/case{1,2,3} --out bench-data/scaled --gzip",
    )
    ap.add_argument("src", nargs="+", metavar="SRC_DIR", help="folders of SkyWalking .json files")
    ap.add_argument("--copies", type=int, required=True, metavar="N", help="number of copies (>= 1)")
    ap.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    ap.add_argument("--gzip", action="store_true", help="write .jsonl.gz")
    ap.add_argument("--table-per-copy", action="store_true", help="rename the tables SQL names per copy (a schema per copy)")
    ap.add_argument("--per-file", type=int, default=1000, metavar="DOCS", help="documents per output file (default 1000)")
    args = ap.parse_args(argv)
    if args.copies < 1 or args.per_file < 1:
        ap.error("--copies and --per-file must be at least 1")
    files = source_files(args.src)
    texts, counts, learned, tables = load(files, args.table_per_copy)
    regex = token_regex(learned, tables)
    templates = [Template(t, regex) for t in texts]
    del texts
    tokens = sorted({tok for t in templates for tok in t.tokens})
    os.makedirs(args.out, exist_ok=True)
    stale = [n for n in os.listdir(args.out) if n.startswith("traces-") and ".jsonl" in n]
    if stale:
        raise SystemExit(f"error: {args.out} already holds {len(stale)} traces-*.jsonl files; use an empty folder")
    out = Writer(args.out, args.per_file, args.gzip)
    try:
        for copy in range(args.copies):
            mapping = {tok: renamed(tok, copy) for tok in tokens}
            for t in templates:
                out.write(t.render(mapping))
    finally:
        out.close()
    total = sum(counts) * args.copies
    print(
        f"{total} spans in {len(files) * args.copies} documents, {out.files} files in {args.out} "
        f"({len(files)} source files x {args.copies} copies; {len(tokens)} id tokens renumbered per copy"
        f"{f', {len(tables)} tables renamed' if tables else ''})",
        file=sys.stderr,
    )
    print(total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
