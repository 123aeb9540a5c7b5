"""``MollieDouble``: the server, its lifecycle and its Python control methods.

The double owns one ``Store`` (state.py) and one ``WebhookSender`` (webhooks.py) sharing
one lock, and routes each request by path: ``/_control/`` to control.py, ``/checkout/``,
``/dashboard/`` and ``/`` to checkout.py, everything else to the API (api.py, which
hands ``/v2/`` requests on to routes.py).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import checkout
from .api import Api
from .control import answer_control
from .replies import Reply, error_reply
from .resources import checkout_url, payment_json, refund_json
from .state import (
    FAILURE_METHODS,
    FAILURE_MODES,
    REFUND_STATUSES,
    Failure,
    Store,
    apply_status,
)
from .state import now as utc_now
from .webhooks import WebhookSender

#: ``(method, raw path, headers, body)`` -> the reply, or None to drop the connection.
Answer = Callable[[str, str, Any, bytes], Reply | None]


class MollieDouble:
    """An in-memory Mollie v2 API served over HTTP.

    Guarantees:

    * Every method and property is thread-safe (one lock around all state); handler
      threads, webhook threads and the test thread can use it concurrently.
    * Webhooks are never delivered while the lock is held, so a webhook receiver may call
      back into the double (``GET /v2/payments/{id}``) without deadlocking.
    * ``stop()`` returns promptly even while requests sleep in ``timeout`` mode or
      webhook retries are scheduled; both are abandoned.
    """

    #: HTTP status for an ``Idempotency-Key`` reused with a different request body.
    idempotency_mismatch_status: int = 422

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        public_url: str | None = None,
        retry_delays: Iterable[float] = (0.2, 0.5, 1, 2, 4),
        timeout_seconds: float = 11.0,
        webhook_timeout: float = 5.0,
        strict_keys: bool = False,
        verbose: bool = False,
    ) -> None:
        """Configure the double; nothing listens until ``start()``.

        :param host: interface to bind; ``port=0`` picks a free port.
        :param public_url: base URL to put in links instead of ``http://host:port``
            (e.g. ``http://mollie:8765`` inside docker-compose).
        :param retry_delays: seconds to wait before each webhook retry; a failing webhook
            is attempted ``1 + len(retry_delays)`` times.
        :param timeout_seconds: how long a request sleeps in ``fail_next(mode="timeout")``.
            The default is longer than mollie-api-python's default read timeout (10 s).
        :param webhook_timeout: seconds before a webhook attempt counts as failed.
        :param strict_keys: only accept keys shaped like real ones (``test_`` / ``live_``
            and 30 letters/digits); otherwise anything the client itself accepts.
        :param verbose: log every request and webhook attempt to stderr.
        """
        self.host = host
        self.port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        self.retry_delays: tuple[float, ...] = tuple(float(d) for d in retry_delays)
        self.timeout_seconds = float(timeout_seconds)
        self.webhook_timeout = float(webhook_timeout)
        self.strict_keys = strict_keys
        self.verbose = verbose

        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set while stopped after a start(): sleeping requests and retries wake and give up.
        self._stopping = threading.Event()
        self._store = Store()
        self._webhooks = WebhookSender(self._store.lock, self, self._stopping)
        self._api = Api(self._store, self._webhooks, self, self._stopping)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> MollieDouble:
        """Bind and serve in a daemon thread; returns self. Calling it twice is a no-op."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.answer = self._answer
        server.is_verbose = lambda: self.verbose
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"mollie-double:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, abandon sleeping requests and pending webhook retries.

        Safe to call twice. State (payments, webhook calls) stays readable afterwards.
        """
        server, self._server = self._server, None
        self._stopping.set()
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MollieDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Root URL of the double, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self.public_url:
            return self.public_url
        host = self.host
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 - comparing, not binding
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_endpoint(self) -> str:
        """Value for ``Client(api_endpoint=...)``; the client appends ``/v2/...`` itself."""
        return self.base_url

    def checkout_url(self, payment_id: str) -> str:
        """URL of the hosted checkout page for ``payment_id`` (whatever its status)."""
        return checkout_url(self.base_url, payment_id)

    # ---------------------------------------------------------------- control API

    def allow_keys(self, keys: Iterable[str]) -> None:
        """Register API keys; once any are registered, every other key gets a 401.

        Adds to earlier registrations. ``reset()`` keeps them; ``allow_any_key()`` clears.
        """
        self._store.allow_keys(keys)

    def allow_any_key(self) -> None:
        """Forget registered keys: any well-formed ``test_``/``live_`` key works again."""
        with self._store.lock:
            self._store.allowed_keys.clear()

    def reset(self) -> None:
        """Forget payments, refunds, idempotency keys, queued failures and recorded calls.

        Webhook retries still scheduled are abandoned. Registered keys and configuration
        (``retry_delays``, ``timeout_seconds``...) are kept.
        """
        with self._store.lock:
            self._store.reset()
            self._webhooks.reset()

    def fail_next(
        self,
        n: int = 1,
        mode: str = "500",
        paths_prefix: str = "/v2/",
        method: str | None = None,
    ) -> None:
        """Make the next ``n`` requests whose path starts with ``paths_prefix`` fail.

        A ``*`` in ``paths_prefix`` stands for one path segment, and ``method`` (``"POST"``,
        ``"GET"``...) limits the failures to requests with that HTTP method. So
        ``fail_next(1, paths_prefix="/v2/payments/*/refunds", method="POST")`` fails the
        next refund creation of any payment and nothing else (``"/v2/payments/tr_x/refunds"``
        only those of ``tr_x``). Failures queued earlier are matched first.

        ``mode="500"``/``"503"`` answer a Mollie-style error body with that status and do
        nothing else. ``mode="timeout"`` sleeps ``timeout_seconds`` first and then handles
        the request normally -- like Mollie executing a request your client gave up on,
        which is exactly what ``Idempotency-Key`` retries are for. While it sleeps, a
        request with the same key and ``Idempotency-Key`` answers 409.
        """
        mode = str(mode)
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {FAILURE_MODES}, not {mode!r}")
        if n < 1:
            raise ValueError("n must be at least 1")
        if method is not None:
            method = method.upper()
            if method not in FAILURE_METHODS:
                raise ValueError(f"method must be one of {FAILURE_METHODS}, not {method!r}")
        self._store.add_failure(Failure(int(n), mode, paths_prefix, method))

    def set_status(
        self,
        payment_id: str,
        status: str,
        method: str | None = None,
        notify: bool = True,
    ) -> dict[str, Any]:
        """Put a payment in ``status`` (any of ``PAYMENT_STATUSES``) and return its JSON.

        Sets the matching timestamp (``paidAt``...) and, for paid/failed/authorized, the
        method (``method`` or the one chosen at creation, else ``"ideal"``). When ``notify``
        and the payment has a ``webhookUrl``, the first webhook attempt is made before this
        returns; retries continue in the background. Raises ``KeyError`` for an unknown
        payment and ``ValueError`` for an unknown status.
        """
        with self._store.lock:
            payment = self._store.payments.get(payment_id)
            if payment is None:
                raise KeyError(payment_id)
            apply_status(payment, status, method)
            snapshot = payment_json(self._store, payment, self.base_url)
            webhook = payment.webhook_url
        if notify and webhook:
            self._webhooks.deliver(payment_id, webhook, sync_first=True)
        return snapshot

    def set_refund_status(self, refund_id: str, status: str, notify: bool = False) -> dict:
        """Move a refund to ``status`` (e.g. ``"refunded"``) and return its JSON.

        A refund moved to ``failed``/``canceled`` no longer counts in ``amountRefunded``.
        With ``notify`` the payment's webhook is called (Mollie calls the payment webhook
        for refund updates). Raises ``KeyError``/``ValueError`` like ``set_status``.
        """
        if status not in REFUND_STATUSES:
            raise ValueError(f"status must be one of {REFUND_STATUSES}, not {status!r}")
        with self._store.lock:
            refund = self._store.refunds.get(refund_id)
            if refund is None:
                raise KeyError(refund_id)
            refund.status = status
            snapshot = refund_json(refund, self.base_url)
            webhook = self._store.payments[refund.payment_id].webhook_url
        if notify and webhook:
            self._webhooks.deliver(refund.payment_id, webhook, sync_first=True)
        return snapshot

    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Expire every open payment whose ``expiresAt`` lies before ``now``.

        Returns the expired ids; their webhooks are called (first attempt synchronous).
        """
        moment = now or utc_now()
        to_notify: list[tuple[str, str]] = []
        expired: list[str] = []
        with self._store.lock:
            for payment in self._store.payments.values():
                if payment.status == "open" and payment.expires_at <= moment:
                    apply_status(payment, "expired", None)
                    expired.append(payment.id)
                    if payment.webhook_url:
                        to_notify.append((payment.id, payment.webhook_url))
        for payment_id, url in to_notify:
            self._webhooks.deliver(payment_id, url, sync_first=True)
        return expired

    @property
    def payments(self) -> dict[str, dict[str, Any]]:
        """Snapshot ``{payment id: payment JSON as the API returns it}``, all keys."""
        with self._store.lock:
            return {
                pid: payment_json(self._store, p, self.base_url)
                for pid, p in self._store.payments.items()
            }

    @property
    def refunds(self) -> dict[str, dict[str, Any]]:
        """Snapshot ``{refund id: refund JSON as the API returns it}``, all keys."""
        with self._store.lock:
            return {rid: refund_json(r, self.base_url) for rid, r in self._store.refunds.items()}

    @property
    def webhook_calls(self) -> list[dict[str, Any]]:
        """Every webhook attempt so far, oldest first.

        Each is ``{"payment_id", "url", "attempt" (1-based), "time" (epoch seconds),
        "status_code" (int, or None on a connection error), "error" (str or None),
        "ok" (bool: answered 2xx)}``.
        """
        return self._webhooks.calls

    @property
    def api_requests(self) -> list[dict[str, Any]]:
        """Every ``/v2/`` request handled: method, path, api_key, idempotency_key,
        user_agent, status, replayed."""
        with self._store.lock:
            return [dict(request) for request in self._store.api_requests]

    def payment_api_key(self, payment_id: str) -> str:
        """The API key a payment was created with (``KeyError`` if unknown)."""
        with self._store.lock:
            return self._store.payments[payment_id].api_key

    def wait_for_webhooks(self, timeout: float = 5.0, min_calls: int = 0) -> bool:
        """Block until no webhook delivery is in progress or scheduled, and at least
        ``min_calls`` attempts have been recorded. Returns False if ``timeout`` ran out.

        A delivery ends at the first 2xx answer or after its last retry.
        """
        return self._webhooks.wait(timeout, min_calls)

    # ---------------------------------------------------------------- requests

    def _answer(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply | None:
        """Route one HTTP request by its path; None means "drop the connection"."""
        path = urlsplit(raw_path).path
        if path.startswith("/_control/"):
            return answer_control(self, method, path, body)
        if path.startswith("/checkout/"):
            return checkout.answer_checkout(self._store, self._webhooks, method, path, body)
        if path.startswith("/dashboard/payments/") and method == "GET":
            return checkout.dashboard_page(self._store, self.base_url, path.rsplit("/", 1)[-1])
        if path == "/" and method == "GET":
            return checkout.index_page(self._store)
        return self._api.answer(method, raw_path, headers, body)


# --------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that hands every request to ``answer``."""

    answer: Answer
    is_verbose: Callable[[], bool]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "MollieDouble/1.0"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.is_verbose():
            super().log_message(format, *args)

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.server.answer(method, self.path, self.headers, body)
        except Exception as exc:  # a bug in the double must still answer like an API
            reply = error_reply(500, f"Mollie double crashed: {type(exc).__name__}: {exc}")
            if self.server.is_verbose():
                traceback.print_exc()
        if reply is None:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. timed out); nothing to do.
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")
