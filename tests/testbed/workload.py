#!/usr/bin/env python3
"""Drives the testbed through a scenario, then makes the services flush spans.

`workload.py full` (default) runs, one request after the other:
  1. GET  bank /accounts/1 and /accounts/2
  2. POST bank /withdraw {account 1, 30} and {account 1, 50}: the withdrawal pair
  3. POST shop /orders {account 2, book, 40}, then POST /orders/<id>/pay:
     the insert and the pay that depends on it
  4. POST shop /reviews: touches a table nothing else does
  5. POST bank /withdraw {account 1, 500}: more than the balance, rolls back
     (commits when the bank runs with BANK_BUG_NO_CHECK=1)
  6. POST bank /deposit {account 3, 25}
`workload.py bank` runs steps 2 and 5 only (the examples/bank recordings).
`workload.py race` sends two withdrawals from account 4 at once and prints
the final balance: the lost update on the live database.
`workload.py order-race` places two orders at once and prints both statuses:
both read the same MAX(id), so one insert fails (201 and 409).

Each request's expected status is checked; a mismatch exits 1. Every call
has a timeout.
"""

import json
import os
import sys
import threading
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tb import config  # noqa: E402

TIMEOUT_S = 10
BUG = config.BANK_BUG_NO_CHECK


def call(method: str, url: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
    except (urllib.error.URLError, OSError) as err:
        sys.exit(f"workload: {method} {url}: {err}")


def step(method: str, url: str, body, expect: int):
    status, answer = call(method, url, body)
    shown = f"{method} {url} {json.dumps(body) if body is not None else ''}".rstrip()
    print(f"  {status} {shown} -> {json.dumps(answer)}")
    if status != expect:
        sys.exit(f"workload: expected {expect} from {shown}, got {status}")
    return answer


def flush():
    for url in (config.BANK_URL, config.SHOP_URL):
        status, _ = call("POST", url + "/__flush", None)
        if status != 200:
            sys.exit(f"workload: {url} did not flush its spans ({status})")


def withdrawals():
    bank = config.BANK_URL
    step("POST", bank + "/withdraw", {"account": 1, "amount": 30}, 200)
    step("POST", bank + "/withdraw", {"account": 1, "amount": 50}, 200)


def overdraft():
    step("POST", config.BANK_URL + "/withdraw", {"account": 1, "amount": 500}, 200 if BUG else 409)


def full():
    bank, shop = config.BANK_URL, config.SHOP_URL
    step("GET", bank + "/accounts/1", None, 200)
    step("GET", bank + "/accounts/2", None, 200)
    withdrawals()
    order = step("POST", shop + "/orders", {"account": 2, "item": "book", "price": 40}, 201)
    step("POST", f"{shop}/orders/{order['id']}/pay", None, 200)
    step("POST", shop + "/reviews", {"item": "lamp", "stars": 4, "text": "bright, a bit loud"}, 201)
    overdraft()
    step("POST", bank + "/deposit", {"account": 3, "amount": 25}, 200)


def bank_only():
    withdrawals()
    overdraft()


def together(method: str, url: str, bodies: list):
    """Sends one request per body at the same moment; their (status, answer)s."""
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def send(i: int):
        barrier.wait(timeout=TIMEOUT_S)
        results[i] = call(method, url, bodies[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2 * TIMEOUT_S)
    for body, result in zip(bodies, results):
        if result is None:
            sys.exit(f"workload: {method} {url} {json.dumps(body)} did not finish")
        print(f"  {result[0]} {method} {url} {json.dumps(body)} -> {json.dumps(result[1])}")
    return results


def race():
    """Two withdrawals from account 4 sent together; prints the final balance.

    Serially, 100 - 30 - 50 = 20. With the lost update, one write erases the
    other and the balance is 70 or 50.
    """
    bank = config.BANK_URL
    start = step("GET", bank + "/accounts/4", None, 200)["balance"]
    together("POST", bank + "/withdraw", [{"account": 4, "amount": a} for a in (30, 50)])
    final = step("GET", bank + "/accounts/4", None, 200)["balance"]
    print(f"race: start {start}, withdrew 30 and 50 at once, final {final}, serial would be {start - 80}")


def order_race():
    order = {"account": 3, "item": "pen", "price": 5}
    results = together("POST", config.SHOP_URL + "/orders", [order, order])
    print("order-race: statuses " + " ".join(str(s) for s in sorted(r[0] for r in results)))


SCENARIOS = {"full": full, "bank": bank_only, "race": race, "order-race": order_race}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "full"
    if name not in SCENARIOS or len(sys.argv) > 2:
        sys.exit(f"usage: workload.py [{'|'.join(SCENARIOS)}]")
    print(f"workload: {name}")
    SCENARIOS[name]()
    flush()
