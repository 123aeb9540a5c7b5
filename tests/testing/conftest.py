"""Shared pieces of the Mollie double's tests: keys, a payment body, a fast double, a
client for it and a scriptable webhook receiver.

The double is Django-free, and so are these tests: ``-p no:django`` runs them too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from mollie.api.client import Client

from weticket_wagtail.testing.mollie import MollieDouble

KEY_A = "test_" + "A" * 30
KEY_B = "test_" + "B" * 30
LIVE_KEY = "live_" + "L" * 30
REDIRECT = "https://shop.example/return/42"


def payment_data(**overrides: object) -> dict:
    data = {
        "amount": {"currency": "EUR", "value": "10.00"},
        "description": "2x Jazz in de tuin",
        "redirectUrl": REDIRECT,
        "metadata": {"order": 42},
    }
    data.update(overrides)
    return data


@pytest.fixture
def double() -> Iterator[MollieDouble]:
    with MollieDouble(retry_delays=(0.05, 0.05, 0.05), timeout_seconds=1.0) as d:
        yield d


def make_client(double: MollieDouble, key: str = KEY_A, timeout: float | None = None) -> Client:
    client = Client(api_endpoint=double.api_endpoint, timeout=timeout or (2, 5))
    client.set_api_key(key)
    return client


class Receiver:
    """A webhook endpoint that answers the scripted status codes, then 200."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = list(codes or [])
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                receiver.calls.append(
                    {"form": parse_qs(body), "content_type": self.headers["Content-Type"]}
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Overrides the suite's Django cache reset: the double uses no Django, so neither do
    its tests, and ``-p no:django`` runs them."""
