"""Runs one service: `python -m tb.serve bank|shop`.

SIGTERM becomes a normal exit so the tracer provider's exit hook flushes
the spans still queued; the control script stops services this way.
"""

import signal
import sys

from werkzeug.serving import make_server

from . import config


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in ("bank", "shop"):
        raise SystemExit("usage: python -m tb.serve bank|shop")
    name = sys.argv[1]
    if name == "bank":
        from .bank import app, provider

        port = config.BANK_PORT
    else:
        from .shop import app, provider

        port = config.SHOP_PORT

    # Threaded: the interleaving executor sends requests concurrently.
    server = make_server(config.HOST, port, app, threaded=True)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"testbed: {name} listening on http://{config.HOST}:{port}", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        provider.shutdown()


if __name__ == "__main__":
    main()
