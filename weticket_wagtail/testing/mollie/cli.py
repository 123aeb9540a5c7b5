"""``python -m weticket_wagtail.testing.mollie``: a double in its own process.

For the demo site (``make serve``) and anything that cannot start one in-process; drive
it over HTTP with the ``/_control/`` endpoints.
"""

from __future__ import annotations

import argparse
import signal
import threading

from .server import MollieDouble


def main(argv: list[str] | None = None) -> int:
    """Run a double until Ctrl-C or SIGTERM; prints the base URL (the ``api_endpoint``) first."""
    parser = argparse.ArgumentParser(
        prog="python -m weticket_wagtail.testing.mollie",
        description="Serve a local stand-in for the Mollie v2 payments API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (8765; 0 = any free)")
    parser.add_argument(
        "--public-url", default=None, help="base URL for links, if not http://host:port"
    )
    parser.add_argument(
        "--retry-delays",
        default="0.2,0.5,1,2,4",
        help="comma-separated seconds between webhook retries",
    )
    parser.add_argument(
        "--timeout-seconds",
        type=float,
        default=11.0,
        help="sleep for fail mode 'timeout' (11)",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests and webhooks")
    args = parser.parse_args(argv)
    delays = [float(d) for d in args.retry_delays.split(",") if d.strip()]
    double = MollieDouble(
        args.host,
        args.port,
        public_url=args.public_url,
        retry_delays=delays,
        timeout_seconds=args.timeout_seconds,
        verbose=args.verbose,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    # Installed explicitly: a shell may start background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    double.start()
    print(double.base_url, flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        double.stop()
    return 0
