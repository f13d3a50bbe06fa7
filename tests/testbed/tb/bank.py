"""The bank service: accounts, withdrawals and deposits.

`POST /withdraw` is the lost update on purpose: it reads the balance, waits
`TESTBED_SLEEP_MS`, then writes the balance it computed from that read,
with no lock and no `balance = balance - x`. Two withdrawals at once both
read the old balance and the later write erases the earlier one.

Its application spans follow the trace-driven-testing bank example:
`fetch-balance` (attribute `amount`: the balance read), `withdrawal`
(attribute `amount`: the amount taken), then `commit` or `rollback`.
A withdrawal larger than the fetched balance rolls back, unless
`BANK_BUG_NO_CHECK` is set, which skips the check (the overdraft bug).
"""

import time

from flask import Flask
from opentelemetry import trace

from . import config, db, errors, fields, tracing

app = Flask("bank")
provider = tracing.instrument("bank", app)
tracer = trace.get_tracer("testbed.bank")
errors.answer_in_json(app)

@app.get("/accounts/<int:account>")
def get_account(account: int):
    with db.connect(config.BANK_DB) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, owner, balance FROM accounts WHERE id = %s", (account,))
        row = cur.fetchone()
        conn.commit()
    if row is None:
        return {"error": f"no account {account}"}, 404
    return {"id": row[0], "owner": row[1], "balance": row[2]}


@app.post("/withdraw")
def withdraw():
    req = fields.require({"account": int, "amount": int})
    account, amount = req["account"], fields.positive("amount", req["amount"])
    with db.connect(config.BANK_DB) as conn, conn.cursor() as cur:
        with tracer.start_as_current_span("fetch-balance") as span:
            span.set_attribute("account", account)
            cur.execute("SELECT balance FROM accounts WHERE id = %s", (account,))
            row = cur.fetchone()
            if row is None:
                conn.rollback()
                return {"error": f"no account {account}"}, 404
            balance = row[0]
            span.set_attribute("amount", balance)

        time.sleep(config.SLEEP_MS / 1000)

        with tracer.start_as_current_span("withdrawal") as span:
            span.set_attribute("account", account)
            span.set_attribute("amount", amount)
            cur.execute(
                "UPDATE accounts SET balance = %s WHERE id = %s", (balance - amount, account)
            )

        if balance < amount and not config.BANK_BUG_NO_CHECK:
            with tracer.start_as_current_span("rollback"):
                conn.rollback()
            return {"error": "insufficient funds", "account": account, "balance": balance}, 409

        with tracer.start_as_current_span("commit"):
            conn.commit()
    return {"account": account, "balance": balance - amount}


@app.post("/deposit")
def deposit():
    req = fields.require({"account": int, "amount": int})
    account, amount = req["account"], fields.positive("amount", req["amount"])
    with db.connect(config.BANK_DB) as conn, conn.cursor() as cur:
        # Atomic on its own, yet still lost when it lands inside a
        # withdrawal's read-sleep-write window.
        cur.execute(
            "UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, account)
        )
        if cur.rowcount == 0:
            conn.rollback()
            return {"error": f"no account {account}"}, 404
        cur.execute("SELECT balance FROM accounts WHERE id = %s", (account,))
        (balance,) = cur.fetchone()
        conn.commit()
    return {"account": account, "balance": balance}
