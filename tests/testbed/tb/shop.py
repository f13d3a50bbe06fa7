"""The shop service: orders paid through the bank, and item reviews.

`POST /orders` checks the account with the bank, then inserts an order
whose id it allocates as `MAX(id) + 1`: ids stay the same when the same
requests are replayed on a restored database, and the INSERT names the row
it creates, so its conflict with a later pay of that order shows in the SQL.
(Two orders placed at once get the same id and one fails: a race too.)

`POST /orders/<id>/pay` updates an order another request inserted, which is
the order-dependent pair: pay before the insert finds nothing. It pays
through the bank's racy withdrawal.

`POST /reviews` writes a table nothing else touches: a request that
conflicts with no other.
"""

import time

import pymysql
import requests
from flask import Flask

from . import config, db, errors, fields, tracing

app = Flask("shop")
provider = tracing.instrument("shop", app)
errors.answer_in_json(app)

def _bank(method: str, path: str, **kwargs):
    """A call to the bank; (None, message) when the bank cannot be reached."""
    try:
        resp = requests.request(
            method, config.BANK_URL + path, timeout=config.HTTP_TIMEOUT_S, **kwargs
        )
    except requests.RequestException as err:
        return None, f"bank unreachable: {err}"
    return resp, None


@app.post("/orders")
def place_order():
    req = fields.require({"account": int, "item": str, "price": int})
    price = fields.positive("price", req["price"])
    resp, err = _bank("GET", f"/accounts/{req['account']}")
    if resp is None:
        return {"error": err}, 502
    if resp.status_code == 404:
        return {"error": f"no account {req['account']}"}, 400
    if resp.status_code != 200:
        return {"error": f"bank answered {resp.status_code}"}, 502

    with db.connect(config.SHOP_DB) as conn, conn.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM orders")
        (order_id,) = cur.fetchone()
        time.sleep(config.SLEEP_MS / 1000)
        try:
            cur.execute(
                "INSERT INTO orders (id, account_id, item, price, status) "
                "VALUES (%s, %s, %s, %s, %s)",
                (order_id, req["account"], req["item"], price, "new"),
            )
        except pymysql.IntegrityError:
            conn.rollback()
            return {"error": f"order id {order_id} was taken by a concurrent order"}, 409
        conn.commit()
    return {"id": order_id, "status": "new"}, 201


@app.get("/orders/<int:order_id>")
def get_order(order_id: int):
    with db.connect(config.SHOP_DB) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, account_id, item, price, status FROM orders WHERE id = %s", (order_id,)
        )
        row = cur.fetchone()
        conn.commit()
    if row is None:
        return {"error": f"no order {order_id}"}, 404
    keys = ("id", "account", "item", "price", "status")
    return dict(zip(keys, row))


@app.post("/orders/<int:order_id>/pay")
def pay_order(order_id: int):
    with db.connect(config.SHOP_DB) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT account_id, price, status FROM orders WHERE id = %s", (order_id,)
        )
        row = cur.fetchone()
        if row is None:
            conn.rollback()
            return {"error": f"no order {order_id}"}, 404
        account, price, status = row
        if status != "new":
            conn.rollback()
            return {"error": f"order {order_id} is {status}"}, 409

        resp, err = _bank("POST", "/withdraw", json={"account": account, "amount": price})
        if resp is None:
            conn.rollback()
            return {"error": err}, 502
        if resp.status_code != 200:
            conn.rollback()
            return {"error": "payment refused", "bank_status": resp.status_code}, 402

        cur.execute("UPDATE orders SET status = %s WHERE id = %s", ("paid", order_id))
        conn.commit()
    return {"id": order_id, "status": "paid"}


@app.post("/reviews")
def add_review():
    req = fields.require({"item": str, "stars": int, "text": str})
    if not 1 <= req["stars"] <= 5:
        raise fields.BadRequest(f"field 'stars' must be 1 to 5, got {req['stars']}")
    with db.connect(config.SHOP_DB) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO reviews (item, stars, body) VALUES (%s, %s, %s)",
            (req["item"], req["stars"], req["text"]),
        )
        review_id = cur.lastrowid
        conn.commit()
    return {"id": review_id}, 201
