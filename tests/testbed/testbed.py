#!/usr/bin/env python3
"""Controls the testbed: `testbed.py reset|start|stop|status|flush`.

- reset: drop and recreate the bank and shop databases from schema/.
- start: start both services in the background, pid files in the state
  folder, and wait (bounded) until both answer /health.
- stop:  stop the services this state folder started, and only those.
- flush: ask both services to write out the spans they still hold.

The state folder is TESTBED_STATE_DIR (default tests/testbed/.run); traces go
to TESTBED_TRACE_DIR (default <state>/traces).
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tb import config  # noqa: E402

STATE_DIR = os.environ.get("TESTBED_STATE_DIR", os.path.join(HERE, ".run"))
SERVICES = {"bank": config.BANK_URL, "shop": config.SHOP_URL}
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10


def fail(message: str) -> None:
    print(f"testbed: {message}", file=sys.stderr)
    sys.exit(1)


def pid_file(name: str) -> str:
    return os.path.join(STATE_DIR, f"{name}.pid")


def our_pid(name: str):
    """The pid in the service's pid file, if that process is still our server.

    A pid can be reused after a crash: the command line must still be ours.
    """
    try:
        with open(pid_file(name), encoding="ascii") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
    except OSError:
        return None
    if b"tb.serve" in cmdline and name.encode() in cmdline:
        return pid
    return None


def http(method: str, url: str, timeout: float = 2.0):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return None


def reset() -> None:
    import pymysql

    for database, schema in ((config.BANK_DB, "bank.sql"), (config.SHOP_DB, "shop.sql")):
        with open(os.path.join(HERE, "schema", schema), encoding="utf-8") as f:
            script = f.read()
        try:
            conn = pymysql.connect(
                host=config.DB_HOST,
                port=config.DB_PORT,
                user=config.DB_USER,
                password=config.DB_PASSWORD,
                connect_timeout=5,
                client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
                autocommit=True,
            )
        except pymysql.MySQLError as err:
            fail(f"cannot connect to MariaDB at {config.DB_HOST}:{config.DB_PORT}: {err}")
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
                cur.execute(f"CREATE DATABASE `{database}`")
                cur.execute(f"USE `{database}`")
                cur.execute(script)
                while cur.nextset():
                    pass
        except pymysql.MySQLError as err:
            fail(f"schema/{schema} on database {database}: {err}")
        finally:
            conn.close()


def start() -> None:
    trace_dir = os.environ.get("TESTBED_TRACE_DIR") or os.path.join(STATE_DIR, "traces")
    os.makedirs(trace_dir, exist_ok=True)
    os.makedirs(STATE_DIR, exist_ok=True)
    for name, url in SERVICES.items():
        if our_pid(name) is not None:
            fail(f"{name} is already running (pid file {pid_file(name)}); stop it first")
        if http("GET", url + "/health") is not None:
            fail(f"something already answers at {url}: not ours, not starting over it")
    env = dict(os.environ, TESTBED_TRACE_DIR=os.path.abspath(trace_dir), PYTHONUNBUFFERED="1")
    for name in SERVICES:
        log = open(os.path.join(STATE_DIR, f"{name}.log"), "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tb.serve", name],
            cwd=HERE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        with open(pid_file(name), "w", encoding="ascii") as f:
            f.write(f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    for name, url in SERVICES.items():
        while http("GET", url + "/health") != 200:
            if our_pid(name) is None:
                stop()
                fail(f"{name} exited at start; see {os.path.join(STATE_DIR, name + '.log')}")
            if time.monotonic() > deadline:
                stop()
                fail(f"{name} not healthy at {url} after {START_TIMEOUT_S}s")
            time.sleep(0.2)
    print(f"testbed: bank {config.BANK_URL}, shop {config.SHOP_URL}, traces in {trace_dir}")


def stop() -> None:
    for name in SERVICES:
        pid = our_pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while our_pid(name) == pid and time.monotonic() < deadline:
                time.sleep(0.1)
            if our_pid(name) == pid:
                print(f"testbed: {name} ignored SIGTERM, killing pid {pid}", file=sys.stderr)
                os.kill(pid, signal.SIGKILL)
        try:
            os.remove(pid_file(name))
        except FileNotFoundError:
            pass


def status() -> None:
    for name, url in SERVICES.items():
        pid = our_pid(name)
        health = http("GET", url + "/health")
        print(f"{name}: pid {pid or '-'}, {url} health {health or 'no answer'}")


def flush() -> None:
    for name, url in SERVICES.items():
        code = http("POST", url + "/__flush", timeout=10)
        if code != 200:
            fail(f"{name} did not flush its spans ({code or 'no answer'})")


COMMANDS = {"reset": reset, "start": start, "stop": stop, "status": status, "flush": flush}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        fail(f"usage: testbed.py {'|'.join(COMMANDS)}")
    COMMANDS[sys.argv[1]]()
