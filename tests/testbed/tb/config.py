"""Everything the testbed reads from the environment, with its default.

One place, so that the services, the control script and the workload agree
on ports and database names without passing flags around.
"""

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"testbed: {name}={raw!r} is not an integer") from None


HOST = os.environ.get("TESTBED_HOST", "127.0.0.1")
BANK_PORT = _int("TESTBED_BANK_PORT", 5101)
SHOP_PORT = _int("TESTBED_SHOP_PORT", 5102)
BANK_URL = os.environ.get("TESTBED_BANK_URL", f"http://{HOST}:{BANK_PORT}")
SHOP_URL = os.environ.get("TESTBED_SHOP_URL", f"http://{HOST}:{SHOP_PORT}")

DB_HOST = os.environ.get("TESTBED_DB_HOST", "127.0.0.1")
DB_PORT = _int("TESTBED_DB_PORT", 3306)
DB_USER = os.environ.get("TESTBED_DB_USER", "root")
DB_PASSWORD = os.environ.get("TESTBED_DB_PASSWORD", "")
BANK_DB = os.environ.get("TESTBED_BANK_DB", "testbed_bank")
SHOP_DB = os.environ.get("TESTBED_SHOP_DB", "testbed_shop")

# The pause between a read and the write that depends on it: it makes races
# show up on every run instead of by luck.
SLEEP_MS = _int("TESTBED_SLEEP_MS", 100)

# Where each service appends its OTLP JSON lines (`<service>.jsonl`).
TRACE_DIR = os.environ.get("TESTBED_TRACE_DIR", "")

# The deliberate bug behind examples/bank/violating: commit a withdrawal
# without comparing the fetched balance with the amount.
BANK_BUG_NO_CHECK = os.environ.get("BANK_BUG_NO_CHECK", "") not in ("", "0")

# Every outgoing HTTP call is bounded.
HTTP_TIMEOUT_S = 5.0
