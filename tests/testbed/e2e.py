#!/usr/bin/env python3
"""End-to-end acceptance of `rulecheck pairs` and `rulecheck run` on the live testbed.

Records traces from the workload, derives pairs with the standard rules, adds a
pair with no shared row (derived by a small rule file), replays every pair on the
live services and checks the verdicts and diffs; then kills the services in the
middle of a run and checks that the databases come back exactly as they were.
Prints `N passed, N failed`; exit 1 on any failure. Bounded: every wait has a
timeout, every process it starts is stopped on exit.

Run by tests/testbed/selftest.sh's sibling in .ci/run:  tests/testbed/.venv/bin/python tests/testbed/e2e.py
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

OUT = tempfile.mkdtemp(prefix="rulecheck-e2e-")
os.environ["TESTBED_STATE_DIR"] = os.path.join(OUT, "state")
os.environ["TESTBED_TRACE_DIR"] = os.path.join(OUT, "traces")

import pymysql  # noqa: E402

from tb import config  # noqa: E402

PY = sys.executable
RULECHECK = os.environ.get("RULECHECK", os.path.join(ROOT, "target", "debug", "rulecheck"))
DB_ADDR = f"{config.DB_HOST}:{config.DB_PORT}"
DBS = [config.BANK_DB, config.SHOP_DB]
DB_ARGS = [a for db in DBS for a in ("--db", f"{DB_ADDR}/{db}=mysql://{config.DB_USER}@{DB_ADDR}/{db}")]

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def sh(*args, timeout=300, check_code=True):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check_code and r.returncode != 0:
        raise SystemExit(f"e2e: {' '.join(map(str, args))} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def testbed(cmd):
    sh(PY, os.path.join(HERE, "testbed.py"), cmd, timeout=60)


def checksums():
    conn = pymysql.connect(host=config.DB_HOST, port=config.DB_PORT, user=config.DB_USER,
                           password=config.DB_PASSWORD, autocommit=True)
    out = {}
    with conn.cursor() as c:
        for db in DBS:
            c.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s ORDER BY 1", (db,))
            for (t,) in c.fetchall():
                c.execute(f"CHECKSUM TABLE `{db}`.`{t}`")
                out[f"{db}.{t}"] = c.fetchone()[1]
            c.execute("SELECT AUTO_INCREMENT, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s", (db,))
            for inc, t in c.fetchall():
                out[f"{db}.{t}#auto_increment"] = inc
        c.execute("SHOW DATABASES LIKE 'rulecheck\\_snap\\_%'")
        out["leftover snapshots"] = [r[0] for r in c.fetchall()]
    conn.close()
    return out


def body(req):
    try:
        return json.loads(req["body"]) if req["body"] else None
    except ValueError:
        return req["body"]


def main():
    testbed("reset")
    testbed("start")
    sh(PY, os.path.join(HERE, "workload.py"), "full", timeout=120)
    testbed("stop")
    testbed("reset")
    traces = os.environ["TESTBED_TRACE_DIR"]

    pairs_json = os.path.join(OUT, "pairs.json")
    r = sh(RULECHECK, "pairs", traces, "-o", pairs_json)
    pairs = json.load(open(pairs_json))
    check("pairs derived from the recorded traces", len(pairs["pairs"]) > 0, r.stderr)

    # A pair the rules would never flag: the review and the deposit share no row.
    rules = os.path.join(OUT, "unrelated.rules")
    with open(rules, "w") as f:
        f.write(f'.include "{ROOT}/rules/flows.rules"\n'
                '.decl unrelated(A: symbol, B: symbol)\n'
                'unrelated(A, B) :- request(A, _, _), http(A, _, UA, _), contains("/reviews", UA),\n'
                '                   request(B, _, _), http(B, _, UB, _), contains("/deposit", UB).\n')
    unrelated_json = os.path.join(OUT, "unrelated.json")
    sh(RULECHECK, "pairs", traces, "-r", rules, "--relation", "unrelated", "-o", unrelated_json)
    extra = json.load(open(unrelated_json))["pairs"]
    check("a pair with no shared row is derived by a rule", len(extra) == 1, extra)
    for p in extra:
        p["id"] = "unrelated"
    all_pairs = {"version": 1, "pairs": pairs["pairs"] + extra}
    all_json = os.path.join(OUT, "all.json")
    json.dump(all_pairs, open(all_json, "w"))

    def find(pred):
        return [p for p in all_pairs["pairs"] if pred(p)]

    lost = find(lambda p: sorted([body(p["a"]) or {}, body(p["b"]) or {}], key=str)
                == [{"account": 1, "amount": 30}, {"account": 1, "amount": 50}])
    check("the two withdrawals from account 1 are a candidate pair", len(lost) == 1, [p["id"] for p in lost])
    dep = find(lambda p: {p["a"]["url"].split("5102")[-1], p["b"]["url"].split("5102")[-1]} == {"/orders", "/orders/1/pay"})
    check("the order and its payment are a pair", len(dep) == 1)

    before = checksums()
    testbed("start")
    try:
        run_dir = os.path.join(OUT, "run")
        r = sh(RULECHECK, "run", all_json, "--out", run_dir, "--seed", "1", *DB_ARGS, timeout=600, check_code=False)
        print(r.stdout)
        check("run exits 1 (races confirmed)", r.returncode == 1, r.stderr)
        report = {p["id"]: p for p in json.load(open(os.path.join(run_dir, "report.json")))["pairs"]}
        if lost:
            p = report[lost[0]["id"]]
            check("lost update: non-serializable", p["verdict"] == "non-serializable", p["verdict"])
            rows = [r for d in p["diffs"][:1] for rs in d["rows"].values() for r in rs]
            bal = [r for r in rows if r["table"] == "accounts" and r["key"] == "1" and "balance" in r["columns"]]
            check("lost update: the row diff shows the lost write on accounts[1].balance",
                  bool(bal) and bal[0]["columns"]["balance"][0] == "20" and bal[0]["columns"]["balance"][1] in ("50", "70"),
                  rows)
        if dep:
            p = report[dep[0]["id"]]
            check("insert dependency: order-dependent", p["verdict"] == "order-dependent", p["verdict"])
            rows = [r for d in p["diffs"] for rs in d["rows"].values() for r in rs]
            check("insert dependency: orders[1].status differs between the serial orders",
                  any(r["table"] == "orders" and r["key"] == "1" and "status" in r["columns"] for r in rows), rows)
        check("no shared row: consistent", report["unrelated"]["verdict"] == "consistent", report["unrelated"]["verdict"])
        after = checksums()
        check("every table is as before the run (checksums, AUTO_INCREMENT, no snapshot left)", after == before,
              {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)})

        # Invariants over the database state after each schedule.
        if dep:
            inv = os.path.join(OUT, "paid.rules")
            with open(inv, "w") as f:
                f.write('.decl row(Db: symbol, Table: symbol, Key: symbol, Column: symbol, Value: symbol)\n'
                        '.input row\n'
                        '.decl unpaid(Order: symbol)\n'
                        'unpaid(K) :- row(_, "orders", K, "status", "new").\n'
                        '.invariant unpaid "an order is left unpaid"\n')
            dep_json = os.path.join(OUT, "dep.json")
            json.dump({"version": 1, "pairs": dep}, open(dep_json, "w"))
            inv_dir = os.path.join(OUT, "invariant")
            r = sh(RULECHECK, "run", dep_json, "--out", inv_dir, "-r", inv, "--repeat", "2", *DB_ARGS,
                   timeout=300, check_code=False)
            p = json.load(open(os.path.join(inv_dir, "report.json")))["pairs"][0]
            check("invariant over row facts: broken when payment runs before the order",
                  r.returncode == 1 and p["verdict"] == "invariant-broken"
                  and p["invariant_violations"].get("A;B" if "pay" in p["a"] else "B;A") == ['an order is left unpaid: unpaid(1)'],
                  (r.returncode, p["verdict"], p.get("invariant_violations"), r.stderr))
            check("invariant run leaves the databases as before", checksums() == before)

        # Ctrl-C in the middle of a run: restored from the side schema, report marked interrupted.
        one = {"version": 1, "pairs": lost or all_pairs["pairs"][:1]}
        one_json = os.path.join(OUT, "one.json")
        json.dump(one, open(one_json, "w"))
        int_dir = os.path.join(OUT, "interrupted")
        proc = subprocess.Popen([RULECHECK, "run", one_json, "--out", int_dir, "--repeat", "200", *DB_ARGS],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        check("Ctrl-C stops the run with exit 2", proc.returncode == 2, (proc.returncode, err))
        check("the interrupted report says so",
              json.load(open(os.path.join(int_dir, "report.json")))["interrupted"] is True)
        check("the databases are restored after Ctrl-C", checksums() == before, err)

        # Kill the services in the middle of a run.
        kill_dir = os.path.join(OUT, "killed")
        proc = subprocess.Popen([RULECHECK, "run", one_json, "--out", kill_dir, "--repeat", "200", "--timeout", "5", *DB_ARGS],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)
        testbed("stop")
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        check("a run whose target dies exits 2", proc.returncode == 2, (proc.returncode, err))
        killed = json.load(open(os.path.join(kill_dir, "report.json")))["pairs"][0]
        check("the report names the failed schedule",
              killed["verdict"] == "error" and "schedule" in (killed.get("error") or "") and "failed" in killed["error"],
              killed.get("error"))
        check("the databases are restored after the target died", checksums() == before)
    finally:
        testbed("stop")


if __name__ == "__main__":
    try:
        main()
    finally:
        try:
            testbed("stop")
        except BaseException:
            pass
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
