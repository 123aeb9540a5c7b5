"""A stand-in for the part of the Mollie v2 API that weticket-wagtail uses.

``MollieDouble`` is a small HTTP server (standard library only, no Django) that the real
``mollie-api-python`` client talks to unchanged::

    from mollie.api.client import Client

    with MollieDouble() as double:
        client = Client(api_endpoint=double.api_endpoint)
        client.set_api_key("test_" + "x" * 30)
        payment = client.payments.create({...})
        double.set_status(payment.id, "paid")  # or click through payment.checkout_url

It can also run on its own, for the demo site and browser tests::

    python -m weticket_wagtail.testing.mollie --port 8765

What it speaks (all JSON is ``application/hal+json``, shaped like Mollie's):

* ``POST/GET /v2/payments``, ``GET/DELETE /v2/payments/{id}``
* ``POST/GET /v2/payments/{id}/refunds``, ``GET/DELETE /v2/payments/{id}/refunds/{re_id}``,
  ``GET /v2/refunds``
* ``GET /v2/methods``, ``GET /v2/methods/{id}``
* a hosted checkout page at ``/checkout/{id}`` where a person (or a browser test) picks
  the outcome, which then calls the webhook and redirects to ``redirectUrl``
* control endpoints under ``/_control/`` (no authentication) mirroring the Python
  methods ``set_status``, ``fail_next``, ``reset`` and friends.

Payments are scoped per API key, ``Idempotency-Key`` is honoured on POST and DELETE,
webhooks are retried on a compressed version of Mollie's schedule, and every webhook
attempt is recorded in ``webhook_calls``.

Production code never imports this module.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import re
import secrets
import signal
import string
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["MollieDouble", "main"]

ERROR_DOCS_URL = "https://docs.mollie.com/reference/handling-errors"

#: Statuses a payment can be put in with ``set_status``.
PAYMENT_STATUSES = ("open", "pending", "authorized", "paid", "failed", "canceled", "expired")
#: Statuses the hosted checkout page offers.
CHECKOUT_CHOICES = ("paid", "failed", "canceled", "expired")
#: Statuses on which Mollie calls the webhook (a change *to* one of these).
WEBHOOK_STATUSES = frozenset({"authorized", "paid", "failed", "canceled", "expired"})
REFUND_STATUSES = ("queued", "pending", "processing", "refunded", "failed", "canceled")

FAILURE_MODES = ("500", "503", "timeout")

#: ``(id, description, minimum, maximum)`` of the methods ``GET /v2/methods`` lists.
ENABLED_METHODS = (
    ("ideal", "iDEAL", "0.01", "50000.00"),
    ("creditcard", "Card", "0.01", "10000.00"),
    ("bancontact", "Bancontact", "0.02", "50000.00"),
    ("paypal", "PayPal", "0.01", "8000.00"),
    ("banktransfer", "Bank transfer", "0.01", "1000000.00"),
)
KNOWN_METHODS = frozenset(
    {
        "alma",
        "applepay",
        "bacs",
        "bancomatpay",
        "bancontact",
        "banktransfer",
        "belfius",
        "billie",
        "blik",
        "creditcard",
        "directdebit",
        "eps",
        "giftcard",
        "ideal",
        "in3",
        "kbc",
        "klarna",
        "mybank",
        "paypal",
        "paysafecard",
        "pointofsale",
        "przelewy24",
        "riverty",
        "satispay",
        "trustly",
        "twint",
        "voucher",
    }
)
LOCALES = frozenset(
    {
        "en_US",
        "en_GB",
        "nl_NL",
        "nl_BE",
        "fr_FR",
        "fr_BE",
        "de_DE",
        "de_AT",
        "de_CH",
        "es_ES",
        "ca_ES",
        "pt_PT",
        "it_IT",
        "nb_NO",
        "sv_SE",
        "fi_FI",
        "da_DK",
        "is_IS",
        "hu_HU",
        "pl_PL",
        "lv_LV",
        "lt_LT",
    }
)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_ALNUM = string.ascii_letters + string.digits
_KEY_RE = re.compile(r"^(test|live)_\w+$")  # what mollie-api-python accepts locally
_STRICT_KEY_RE = re.compile(r"^(test|live)_[A-Za-z0-9]{30}$")  # what real keys look like
_VALUE_RE = re.compile(r"^\d+\.\d{2}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_HAL = "application/hal+json"
_WEBHOOK_USER_AGENT = "Mollie.nl HTTP client/1.0"
_METADATA_MAX = 1024
_DESCRIPTION_MAX = 255


# --------------------------------------------------------------------------------------
# small helpers


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _money(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


def _link(href: str, kind: str = _HAL) -> dict[str, str]:
    return {"href": href, "type": kind}


def _random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(10))


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _ApiError(Exception):
    """An error answer in Mollie's format; raised inside request handling."""

    def __init__(self, status: int, detail: str, field_name: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field_name = field_name


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = _HAL
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Reply:
    body = json.dumps(payload, indent=2).encode()
    return _Reply(status, body, _HAL, dict(headers or {}))


def _error_payload(status: int, detail: str, field_name: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "status": status,
        "title": _TITLES.get(status, HTTPStatus(status).phrase),
        "detail": detail,
    }
    if field_name:
        payload["field"] = field_name
    payload["_links"] = {"documentation": _link(ERROR_DOCS_URL, "text/html")}
    return payload


def _error_reply(status: int, detail: str, field_name: str | None = None) -> _Reply:
    return _json_reply(status, _error_payload(status, detail, field_name))


def _plain_json_reply(status: int, payload: Any) -> _Reply:
    reply = _json_reply(status, payload)
    reply.content_type = "application/json"
    return reply


def _html_reply(status: int, title: str, body_html: str) -> _Reply:
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Mollie test double</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; }}
.banner {{ background: #fff3cd; border: 1px solid #8a6d00; padding: .5rem .75rem; }}
fieldset {{ border: 1px solid #555; margin: 1rem 0; padding: .75rem; }}
button {{ font-size: 1rem; padding: .5rem 1rem; margin: .25rem .25rem .25rem 0; }}
select {{ font-size: 1rem; padding: .25rem; }}
dt {{ font-weight: bold; }}
</style>
</head>
<body>
<main>
<p class="banner" role="note">Test mode: this is a local stand-in for Mollie.
No money is moved.</p>
<h1>{html.escape(title)}</h1>
{body_html}
</main>
</body>
</html>
"""
    return _Reply(status, page.encode(), "text/html; charset=utf-8")


# --------------------------------------------------------------------------------------
# state records


@dataclass
class _Payment:
    id: str
    api_key: str
    mode: str
    amount: Decimal
    currency: str
    description: str
    redirect_url: str
    webhook_url: str | None
    cancel_url: str | None
    metadata: Any
    locale: str | None
    method: str | None
    created_at: datetime
    expires_at: datetime
    status: str = "open"
    authorized_at: datetime | None = None
    paid_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    failed_at: datetime | None = None
    details: dict[str, Any] | None = None
    refund_ids: list[str] = field(default_factory=list)


@dataclass
class _Refund:
    id: str
    api_key: str
    mode: str
    payment_id: str
    amount: Decimal
    currency: str
    description: str
    metadata: Any
    created_at: datetime
    status: str = "pending"


@dataclass
class _Failure:
    remaining: int
    mode: str
    paths_prefix: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Mollie does not follow redirects from a webhook URL; a 3xx counts as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# --------------------------------------------------------------------------------------
# the double


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

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
        self._allowed_keys: set[str] = set()
        self._init_state()

    def _init_state(self) -> None:
        self._payments: dict[str, _Payment] = {}
        self._refunds: dict[str, _Refund] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, _Reply]] = {}
        self._idempotency_inflight: set[tuple[str, str]] = set()
        self._failures: list[_Failure] = []
        self._webhook_calls: list[dict[str, Any]] = []
        self._api_requests: list[dict[str, Any]] = []
        self._inflight_deliveries = 0
        self._generation = getattr(self, "_generation", 0) + 1

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> MollieDouble:
        """Bind and serve in a daemon thread; returns self. Calling it twice is a no-op."""
        if self._server is not None:
            return self
        self._stop_event = threading.Event()
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.double = self  # type: ignore[attr-defined]
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
        self._stop_event.set()
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
        return f"{self.base_url}/checkout/{payment_id}"

    # ---------------------------------------------------------------- control API

    def allow_keys(self, keys: Iterable[str]) -> None:
        """Register API keys; once any are registered, every other key gets a 401.

        Adds to earlier registrations. ``reset()`` keeps them; ``allow_any_key()`` clears.
        """
        with self._lock:
            self._allowed_keys.update(k.strip() for k in keys)

    def allow_any_key(self) -> None:
        """Forget registered keys: any well-formed ``test_``/``live_`` key works again."""
        with self._lock:
            self._allowed_keys.clear()

    def reset(self) -> None:
        """Forget payments, refunds, idempotency keys, queued failures and recorded calls.

        Webhook retries still scheduled are abandoned. Registered keys and configuration
        (``retry_delays``, ``timeout_seconds``...) are kept.
        """
        with self._cond:
            self._init_state()
            self._cond.notify_all()

    def fail_next(self, n: int = 1, mode: str = "500", paths_prefix: str = "/v2/") -> None:
        """Make the next ``n`` requests whose path starts with ``paths_prefix`` fail.

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
        with self._lock:
            self._failures.append(_Failure(int(n), mode, paths_prefix))

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
        with self._lock:
            payment = self._payments.get(payment_id)
            if payment is None:
                raise KeyError(payment_id)
            self._apply_status(payment, status, method)
            snapshot = self._payment_json(payment)
            webhook = payment.webhook_url
        if notify and webhook:
            self._deliver(payment_id, webhook, sync_first=True)
        return snapshot

    def set_refund_status(self, refund_id: str, status: str, notify: bool = False) -> dict:
        """Move a refund to ``status`` (e.g. ``"refunded"``) and return its JSON.

        A refund moved to ``failed``/``canceled`` no longer counts in ``amountRefunded``.
        With ``notify`` the payment's webhook is called (Mollie calls the payment webhook
        for refund updates). Raises ``KeyError``/``ValueError`` like ``set_status``.
        """
        if status not in REFUND_STATUSES:
            raise ValueError(f"status must be one of {REFUND_STATUSES}, not {status!r}")
        with self._lock:
            refund = self._refunds.get(refund_id)
            if refund is None:
                raise KeyError(refund_id)
            refund.status = status
            snapshot = self._refund_json(refund)
            webhook = self._payments[refund.payment_id].webhook_url
        if notify and webhook:
            self._deliver(refund.payment_id, webhook, sync_first=True)
        return snapshot

    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Expire every open payment whose ``expiresAt`` lies before ``now``.

        Returns the expired ids; their webhooks are called (first attempt synchronous).
        """
        moment = now or _now()
        to_notify: list[tuple[str, str]] = []
        expired: list[str] = []
        with self._lock:
            for payment in self._payments.values():
                if payment.status == "open" and payment.expires_at <= moment:
                    self._apply_status(payment, "expired", None)
                    expired.append(payment.id)
                    if payment.webhook_url:
                        to_notify.append((payment.id, payment.webhook_url))
        for payment_id, url in to_notify:
            self._deliver(payment_id, url, sync_first=True)
        return expired

    @property
    def payments(self) -> dict[str, dict[str, Any]]:
        """Snapshot ``{payment id: payment JSON as the API returns it}``, all keys."""
        with self._lock:
            return {pid: self._payment_json(p) for pid, p in self._payments.items()}

    @property
    def refunds(self) -> dict[str, dict[str, Any]]:
        """Snapshot ``{refund id: refund JSON as the API returns it}``, all keys."""
        with self._lock:
            return {rid: self._refund_json(r) for rid, r in self._refunds.items()}

    @property
    def webhook_calls(self) -> list[dict[str, Any]]:
        """Every webhook attempt so far, oldest first.

        Each is ``{"payment_id", "url", "attempt" (1-based), "time" (epoch seconds),
        "status_code" (int, or None on a connection error), "error" (str or None),
        "ok" (bool: answered 2xx)}``.
        """
        with self._lock:
            return copy.deepcopy(self._webhook_calls)

    @property
    def api_requests(self) -> list[dict[str, Any]]:
        """Every ``/v2/`` request handled: method, path, api_key, idempotency_key,
        user_agent, status, replayed."""
        with self._lock:
            return copy.deepcopy(self._api_requests)

    def payment_api_key(self, payment_id: str) -> str:
        """The API key a payment was created with (``KeyError`` if unknown)."""
        with self._lock:
            return self._payments[payment_id].api_key

    def wait_for_webhooks(self, timeout: float = 5.0, min_calls: int = 0) -> bool:
        """Block until no webhook delivery is in progress or scheduled, and at least
        ``min_calls`` attempts have been recorded. Returns False if ``timeout`` ran out.

        A delivery ends at the first 2xx answer or after its last retry.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight_deliveries > 0 or len(self._webhook_calls) < min_calls:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # ---------------------------------------------------------------- state changes

    def _apply_status(self, payment: _Payment, status: str, method: str | None) -> None:
        if status not in PAYMENT_STATUSES:
            raise ValueError(f"status must be one of {PAYMENT_STATUSES}, not {status!r}")
        now = _now()
        payment.status = status
        if method:
            payment.method = method
        if status in ("paid", "failed", "authorized") and not payment.method:
            payment.method = "ideal"
        if status == "open":
            payment.paid_at = payment.failed_at = payment.canceled_at = None
            payment.expired_at = payment.authorized_at = None
        elif status == "paid":
            payment.paid_at = payment.paid_at or now
            if payment.method == "ideal" and payment.details is None:
                payment.details = {
                    "consumerName": "T. TEST",
                    "consumerAccount": "NL72RABO0110438885",
                    "consumerBic": "RABONL2U",
                }
        elif status == "authorized":
            payment.authorized_at = payment.authorized_at or now
        elif status == "failed":
            payment.failed_at = payment.failed_at or now
        elif status == "canceled":
            payment.canceled_at = payment.canceled_at or now
        elif status == "expired":
            payment.expired_at = payment.expired_at or now

    def _refunded(self, payment: _Payment) -> Decimal:
        total = Decimal("0.00")
        for refund_id in payment.refund_ids:
            refund = self._refunds[refund_id]
            if refund.status not in ("failed", "canceled"):
                total += refund.amount
        return total

    # ---------------------------------------------------------------- rendering

    def _profile_id(self, api_key: str) -> str:
        return "pfl_" + hashlib.sha256(api_key.encode()).hexdigest()[:10]

    def _payment_json(self, p: _Payment, embed_refunds: bool = False) -> dict[str, Any]:
        api = f"{self.api_endpoint}/v2"
        data: dict[str, Any] = {
            "resource": "payment",
            "id": p.id,
            "mode": p.mode,
            "createdAt": _iso(p.created_at),
            "amount": _money(p.amount, p.currency),
            "description": p.description,
            "method": p.method,
            "metadata": p.metadata,
            "status": p.status,
            "isCancelable": p.status == "open",
        }
        if p.status in ("open", "pending", "authorized"):
            data["expiresAt"] = _iso(p.expires_at)
        for key, moment in (
            ("authorizedAt", p.authorized_at),
            ("paidAt", p.paid_at),
            ("canceledAt", p.canceled_at),
            ("expiredAt", p.expired_at),
            ("failedAt", p.failed_at),
        ):
            if moment is not None:
                data[key] = _iso(moment)
        if p.status == "paid":
            refunded = self._refunded(p)
            data["amountRefunded"] = _money(refunded, p.currency)
            data["amountRemaining"] = _money(p.amount - refunded, p.currency)
        data["locale"] = p.locale
        data["profileId"] = self._profile_id(p.api_key)
        data["sequenceType"] = "oneoff"
        data["redirectUrl"] = p.redirect_url
        if p.cancel_url:
            data["cancelUrl"] = p.cancel_url
        if p.webhook_url:
            data["webhookUrl"] = p.webhook_url
        if p.details is not None:
            data["details"] = copy.deepcopy(p.details)
        links: dict[str, Any] = {"self": _link(f"{api}/payments/{p.id}")}
        if p.status == "open":
            links["checkout"] = _link(self.checkout_url(p.id), "text/html")
        links["dashboard"] = _link(f"{self.base_url}/dashboard/payments/{p.id}", "text/html")
        if p.refund_ids:
            links["refunds"] = _link(f"{api}/payments/{p.id}/refunds")
        links["documentation"] = _link("https://docs.mollie.com/reference/get-payment", "text/html")
        data["_links"] = links
        if embed_refunds:
            data["_embedded"] = {
                "refunds": [self._refund_json(self._refunds[r]) for r in p.refund_ids]
            }
        return data

    def _refund_json(self, r: _Refund) -> dict[str, Any]:
        api = f"{self.api_endpoint}/v2"
        return {
            "resource": "refund",
            "id": r.id,
            "mode": r.mode,
            "amount": _money(r.amount, r.currency),
            "status": r.status,
            "createdAt": _iso(r.created_at),
            "description": r.description,
            "metadata": r.metadata,
            "paymentId": r.payment_id,
            "settlementAmount": _money(-r.amount, r.currency),
            "_links": {
                "self": _link(f"{api}/payments/{r.payment_id}/refunds/{r.id}"),
                "payment": _link(f"{api}/payments/{r.payment_id}"),
                "documentation": _link("https://docs.mollie.com/reference/get-refund", "text/html"),
            },
        }

    def _list_json(
        self, name: str, items: list[dict[str, Any]], self_url: str, next_url: str | None
    ) -> dict[str, Any]:
        return {
            "count": len(items),
            "_embedded": {name: items},
            "_links": {
                "self": _link(self_url),
                "previous": None,
                "next": _link(next_url) if next_url else None,
                "documentation": _link(
                    f"https://docs.mollie.com/reference/list-{name}", "text/html"
                ),
            },
        }

    # ---------------------------------------------------------------- request handling

    def _handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> _Reply | None:
        """Answer one HTTP request; None means "drop the connection" (double stopping)."""
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/_control/"):
            return self._handle_control(method, path, body)
        if path.startswith("/checkout/"):
            return self._handle_checkout(method, path, headers, body)
        if path.startswith("/dashboard/payments/") and method == "GET":
            return self._dashboard_page(path.rsplit("/", 1)[-1])
        if path == "/" and method == "GET":
            return self._index_page()

        auth = headers.get("Authorization", "") or ""
        idem_key = (headers.get("Idempotency-Key", "") or "").strip()
        failure = self._take_failure(path)
        if failure == "timeout":
            marker = (auth, idem_key)
            with self._lock:
                if idem_key:
                    self._idempotency_inflight.add(marker)
            try:
                if self._stop_event.wait(self.timeout_seconds):
                    return None
            finally:
                with self._lock:
                    self._idempotency_inflight.discard(marker)
        elif failure:
            status = int(failure)
            detail = (
                "An internal server error occurred while processing your request."
                if status == 500
                else "The Mollie API is temporarily unavailable. Please try again later."
            )
            return _error_reply(status, detail)

        if path != "/v2" and not path.startswith("/v2/"):
            return _error_reply(404, "The requested resource does not exist.")

        api_key = self._authenticate(auth)
        user_agent = headers.get("User-Agent", "")
        if api_key is None:
            reply = _error_reply(401, "Missing authentication, or failed to authenticate")
            self._log_api(method, raw_path, None, idem_key, user_agent, reply)
            return reply

        webhooks: list[tuple[str, str]] = []
        with self._lock:
            reply = self._handle_api_locked(
                method, path, query, body, api_key, auth, idem_key, webhooks
            )
            self._log_api(method, raw_path, api_key, idem_key, user_agent, reply)
        for payment_id, url in webhooks:
            self._deliver(payment_id, url, sync_first=False)
        return reply

    def _log_api(
        self,
        method: str,
        path: str,
        api_key: str | None,
        idem_key: str,
        user_agent: str,
        reply: _Reply,
    ) -> None:
        with self._lock:
            self._api_requests.append(
                {
                    "method": method,
                    "path": path,
                    "api_key": api_key,
                    "idempotency_key": idem_key or None,
                    "user_agent": user_agent,
                    "status": reply.status,
                    "replayed": reply.headers.get("Idempotent-Replayed") == "true",
                }
            )

    def _take_failure(self, path: str) -> str | None:
        with self._lock:
            for failure in self._failures:
                if path.startswith(failure.paths_prefix):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure.mode
        return None

    def _authenticate(self, auth: str) -> str | None:
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        pattern = _STRICT_KEY_RE if self.strict_keys else _KEY_RE
        if not pattern.match(token):
            return None
        with self._lock:
            if self._allowed_keys and token not in self._allowed_keys:
                return None
        return token

    def _handle_api_locked(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        api_key: str,
        auth: str,
        idem_key: str,
        webhooks: list[tuple[str, str]],
    ) -> _Reply:
        try:
            data = self._parse_json_body(body) if method in ("POST", "PATCH") else {}
        except _ApiError as exc:
            return _error_reply(exc.status, exc.detail, exc.field_name)

        store_key: tuple[str, str] | None = None
        fingerprint = ""
        if idem_key and method in ("POST", "PATCH", "DELETE"):
            if (auth, idem_key) in self._idempotency_inflight:
                return _error_reply(
                    409,
                    "A request with this idempotency key is still being processed. "
                    "Please try again later.",
                )
            store_key = (api_key, idem_key)
            fingerprint = f"{method} {path} {_canonical(data)}"
            stored = self._idempotency.get(store_key)
            if stored is not None:
                stored_fingerprint, stored_reply = stored
                if stored_fingerprint != fingerprint:
                    return _error_reply(
                        self.idempotency_mismatch_status,
                        "The idempotency key was already used for a different request. "
                        "Use a new idempotency key for a new request.",
                    )
                replay = copy.copy(stored_reply)
                replay.headers = {**stored_reply.headers, "Idempotent-Replayed": "true"}
                return replay

        try:
            reply = self._route_api(method, path, query, data, api_key, webhooks)
        except _ApiError as exc:
            reply = _error_reply(exc.status, exc.detail, exc.field_name)
        if store_key is not None and 200 <= reply.status < 300:
            self._idempotency[store_key] = (fingerprint, reply)
        return reply

    @staticmethod
    def _parse_json_body(body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _ApiError(400, "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise _ApiError(400, "The request body must be a JSON object.")
        return data

    def _route_api(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: dict[str, Any],
        api_key: str,
        webhooks: list[tuple[str, str]],
    ) -> _Reply:
        segments = [s for s in path.split("/") if s][1:]  # drop "v2"
        n = len(segments)
        if n >= 1 and segments[0] == "payments":
            if n == 1:
                if method == "POST":
                    return self._create_payment(data, api_key)
                if method == "GET":
                    return self._list_payments(query, api_key)
            elif n == 2:
                if method == "GET":
                    payment = self._get_payment(segments[1], api_key)
                    embed = "refunds" in query.get("embed", "").split(",")
                    return _json_reply(200, self._payment_json(payment, embed_refunds=embed))
                if method == "DELETE":
                    return self._cancel_payment(segments[1], api_key, webhooks)
            elif n >= 3 and segments[2] == "refunds":
                payment = self._get_payment(segments[1], api_key)
                if n == 3 and method == "POST":
                    return self._create_refund(payment, data, api_key, webhooks)
                if n == 3 and method == "GET":
                    items = [self._refund_json(self._refunds[r]) for r in payment.refund_ids]
                    items.reverse()
                    url = f"{self.api_endpoint}/v2/payments/{payment.id}/refunds"
                    return _json_reply(200, self._list_json("refunds", items, url, None))
                if n == 4:
                    refund = self._refunds.get(segments[3])
                    if refund is None or refund.payment_id != payment.id:
                        raise _ApiError(404, f"No refund exists with token {segments[3]}.")
                    if method == "GET":
                        return _json_reply(200, self._refund_json(refund))
                    if method == "DELETE":
                        return self._cancel_refund(refund)
            else:
                raise _ApiError(404, "The requested resource does not exist.")
            raise _ApiError(405, f"The method {method} is not allowed on this resource.")
        if n == 1 and segments[0] == "refunds" and method == "GET":
            refunds = [r for r in self._refunds.values() if r.api_key == api_key]
            items = [self._refund_json(r) for r in reversed(refunds)]
            url = f"{self.api_endpoint}/v2/refunds"
            return _json_reply(200, self._list_json("refunds", items, url, None))
        if n >= 1 and segments[0] == "methods" and method == "GET":
            methods = [self._method_json(*m) for m in ENABLED_METHODS]
            if n == 1:
                url = f"{self.api_endpoint}/v2/methods"
                return _json_reply(200, self._list_json("methods", methods, url, None))
            if n == 2:
                for item in methods:
                    if item["id"] == segments[1]:
                        return _json_reply(200, item)
                raise _ApiError(404, f"The payment method '{segments[1]}' does not exist.")
        raise _ApiError(404, "The requested resource does not exist.")

    def _method_json(self, method_id: str, description: str, low: str, high: str) -> dict:
        image = f"https://www.mollie.com/external/icons/payment-methods/{method_id}"
        return {
            "resource": "method",
            "id": method_id,
            "description": description,
            "minimumAmount": {"value": low, "currency": "EUR"},
            "maximumAmount": {"value": high, "currency": "EUR"},
            "image": {
                "size1x": f"{image}.png",
                "size2x": f"{image}%402x.png",
                "svg": f"{image}.svg",
            },
            "status": "activated",
            "_links": {"self": _link(f"{self.api_endpoint}/v2/methods/{method_id}")},
        }

    # ------------------------------------------------------------ payments

    @staticmethod
    def _parse_amount(raw: Any, prefix: str = "amount") -> tuple[Decimal, str]:
        if not isinstance(raw, dict):
            raise _ApiError(422, f"The {prefix} is required and must be an object.", prefix)
        currency = raw.get("currency")
        value = raw.get("value")
        if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
            raise _ApiError(
                422, "The currency must be an ISO 4217 code, e.g. EUR.", f"{prefix}.currency"
            )
        if not isinstance(value, str) or not _VALUE_RE.match(value):
            raise _ApiError(
                422,
                "The amount value must be a string with exactly two decimals, e.g. '10.00'.",
                f"{prefix}.value",
            )
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the regex already excludes it
            raise _ApiError(422, "The amount value is invalid.", f"{prefix}.value") from exc
        if amount <= 0:
            raise _ApiError(422, "The amount is lower than the minimum.", f"{prefix}.value")
        return amount, currency

    def _create_payment(self, data: dict[str, Any], api_key: str) -> _Reply:
        amount, currency = self._parse_amount(data.get("amount"))
        description = data.get("description")
        if not isinstance(description, str) or not description.strip():
            raise _ApiError(422, "The description is required.", "description")
        if len(description) > _DESCRIPTION_MAX:
            raise _ApiError(
                422, f"The description is longer than {_DESCRIPTION_MAX} characters.", "description"
            )
        redirect_url = data.get("redirectUrl")
        if redirect_url is None or redirect_url == "":
            raise _ApiError(422, "The redirect URL is required.", "redirectUrl")
        if not _is_http_url(redirect_url):
            raise _ApiError(422, "The redirect URL is invalid.", "redirectUrl")
        webhook_url = data.get("webhookUrl") or None
        if webhook_url is not None and not _is_http_url(webhook_url):
            raise _ApiError(422, "The webhook URL is invalid.", "webhookUrl")
        cancel_url = data.get("cancelUrl") or None
        if cancel_url is not None and not _is_http_url(cancel_url):
            raise _ApiError(422, "The cancel URL is invalid.", "cancelUrl")
        locale = data.get("locale") or None
        if locale is not None and locale not in LOCALES:
            raise _ApiError(422, "The locale is invalid.", "locale")
        method = data.get("method") or None
        methods = method if isinstance(method, list) else [method] if method else []
        for item in methods:
            if item not in KNOWN_METHODS:
                raise _ApiError(422, f"The payment method '{item}' is invalid.", "method")
        metadata = data.get("metadata")
        if metadata is not None and len(json.dumps(metadata)) > _METADATA_MAX:
            raise _ApiError(
                422, f"The metadata is larger than {_METADATA_MAX} characters.", "metadata"
            )

        payment_id = _random_id("tr_")
        while payment_id in self._payments:  # pragma: no cover - 62**10 ids
            payment_id = _random_id("tr_")
        now = _now()
        payment = _Payment(
            id=payment_id,
            api_key=api_key,
            mode="live" if api_key.startswith("live_") else "test",
            amount=amount,
            currency=currency,
            description=description,
            redirect_url=redirect_url,
            webhook_url=webhook_url,
            cancel_url=cancel_url,
            metadata=metadata,
            locale=locale,
            method=method if isinstance(method, str) else None,
            created_at=now,
            expires_at=now + timedelta(minutes=15),
        )
        self._payments[payment_id] = payment
        return _json_reply(201, self._payment_json(payment))

    def _get_payment(self, payment_id: str, api_key: str) -> _Payment:
        payment = self._payments.get(payment_id)
        if payment is None or payment.api_key != api_key:
            raise _ApiError(404, f"No payment exists with token {payment_id}.")
        return payment

    def _list_payments(self, query: dict[str, str], api_key: str) -> _Reply:
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 250:
            raise _ApiError(400, "The limit must be between 1 and 250.", "limit")
        mine = [p for p in reversed(self._payments.values()) if p.api_key == api_key]
        start = 0
        if query.get("from"):
            ids = [p.id for p in mine]
            if query["from"] not in ids:
                raise _ApiError(404, f"No payment exists with token {query['from']}.")
            start = ids.index(query["from"])
        page = mine[start : start + limit]
        rest = mine[start + limit :]
        base = f"{self.api_endpoint}/v2/payments"
        self_url = f"{base}?{urlencode(query)}" if query else base
        next_url = f"{base}?{urlencode({'from': rest[0].id, 'limit': limit})}" if rest else None
        items = [self._payment_json(p) for p in page]
        return _json_reply(200, self._list_json("payments", items, self_url, next_url))

    def _cancel_payment(
        self, payment_id: str, api_key: str, webhooks: list[tuple[str, str]]
    ) -> _Reply:
        payment = self._get_payment(payment_id, api_key)
        if payment.status != "open":
            raise _ApiError(422, f"The payment cannot be canceled (status: {payment.status}).")
        self._apply_status(payment, "canceled", None)
        if payment.webhook_url:
            webhooks.append((payment.id, payment.webhook_url))
        return _json_reply(200, self._payment_json(payment))

    # ------------------------------------------------------------ refunds

    def _create_refund(
        self,
        payment: _Payment,
        data: dict[str, Any],
        api_key: str,
        webhooks: list[tuple[str, str]],
    ) -> _Reply:
        if payment.status != "paid":
            raise _ApiError(
                422,
                f"The payment {payment.id} cannot be refunded (status: {payment.status}).",
            )
        amount, currency = self._parse_amount(data.get("amount"))
        if currency != payment.currency:
            raise _ApiError(
                422, "The refund currency must match the payment currency.", "amount.currency"
            )
        remaining = payment.amount - self._refunded(payment)
        if amount > remaining:
            raise _ApiError(
                422,
                f"The amount is higher than the amount that can be refunded "
                f"({remaining:.2f} {currency}).",
                "amount",
            )
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > _DESCRIPTION_MAX:
            raise _ApiError(422, "The description is invalid.", "description")
        metadata = data.get("metadata")
        if metadata is not None and len(json.dumps(metadata)) > _METADATA_MAX:
            raise _ApiError(
                422, f"The metadata is larger than {_METADATA_MAX} characters.", "metadata"
            )
        refund_id = _random_id("re_")
        while refund_id in self._refunds:  # pragma: no cover
            refund_id = _random_id("re_")
        refund = _Refund(
            id=refund_id,
            api_key=api_key,
            mode=payment.mode,
            payment_id=payment.id,
            amount=amount,
            currency=currency,
            description=description,
            metadata=metadata,
            created_at=_now(),
        )
        self._refunds[refund_id] = refund
        payment.refund_ids.append(refund_id)
        if payment.webhook_url:
            webhooks.append((payment.id, payment.webhook_url))
        return _json_reply(201, self._refund_json(refund))

    def _cancel_refund(self, refund: _Refund) -> _Reply:
        if refund.status not in ("queued", "pending"):
            raise _ApiError(422, f"The refund cannot be canceled (status: {refund.status}).")
        refund.status = "canceled"
        return _Reply(204, b"", _HAL)

    # ------------------------------------------------------------ checkout & pages

    def _handle_checkout(self, method: str, path: str, headers: Any, body: bytes) -> _Reply:
        payment_id = path[len("/checkout/") :].strip("/")
        with self._lock:
            payment = self._payments.get(payment_id)
            snapshot = copy.copy(payment) if payment else None
        if snapshot is None:
            return _html_reply(404, "Payment not found", "<p>There is no such payment.</p>")
        if method == "GET":
            return self._checkout_page(snapshot)
        if method != "POST":
            return _html_reply(405, "Method not allowed", "<p>Use GET or POST.</p>")

        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        choice = form.get("status", "")
        chosen_method = form.get("method") or None
        if choice not in CHECKOUT_CHOICES:
            return _html_reply(
                400,
                "Unknown choice",
                f"<p>Choose one of: {html.escape(', '.join(CHECKOUT_CHOICES))}.</p>",
            )
        if chosen_method is not None and chosen_method not in KNOWN_METHODS:
            return _html_reply(400, "Unknown payment method", "<p>Pick a listed method.</p>")
        with self._lock:
            payment = self._payments[payment_id]
            if payment.status != "open":
                return self._not_open_page(payment, status=409)
            self._apply_status(payment, choice, chosen_method)
            webhook, redirect = payment.webhook_url, payment.redirect_url
        if webhook:
            self._deliver(payment_id, webhook, sync_first=True)
        return _Reply(303, b"", "text/plain", {"Location": redirect})

    def _checkout_page(self, p: _Payment) -> _Reply:
        if p.status != "open":
            return self._not_open_page(p, status=200)
        options = []
        preselected = p.method or "ideal"
        for method_id, label, _low, _high in ENABLED_METHODS:
            selected = " selected" if method_id == preselected else ""
            options.append(f'<option value="{method_id}"{selected}>{html.escape(label)}</option>')
        buttons = "\n".join(
            f'<button type="submit" name="status" value="{s}">{s.capitalize()}</button>'
            for s in CHECKOUT_CHOICES
        )
        body = f"""<dl>
<dt>Description</dt><dd>{html.escape(p.description)}</dd>
<dt>Amount</dt><dd>{p.currency} {p.amount:.2f}</dd>
<dt>Payment</dt><dd><code>{p.id}</code></dd>
</dl>
<form method="post" action="/checkout/{p.id}">
<p><label for="method">Payment method</label>
<select id="method" name="method">
{"".join(options)}
</select></p>
<fieldset>
<legend>Choose the outcome of this test payment</legend>
{buttons}
</fieldset>
</form>
"""
        return _html_reply(200, "Test payment", body)

    def _not_open_page(self, p: _Payment, status: int) -> _Reply:
        body = (
            f"<p>Payment <code>{p.id}</code> is <strong>{html.escape(p.status)}</strong>; "
            "it can no longer be paid or changed here.</p>"
            f'<p><a href="{html.escape(p.redirect_url)}">Return to the website</a></p>'
        )
        return _html_reply(status, f"Payment {p.status}", body)

    def _dashboard_page(self, payment_id: str) -> _Reply:
        with self._lock:
            payment = self._payments.get(payment_id)
            data = self._payment_json(payment) if payment else None
        if data is None:
            return _html_reply(404, "Payment not found", "<p>There is no such payment.</p>")
        pretty = html.escape(json.dumps(data, indent=2))
        return _html_reply(200, f"Payment {payment_id}", f"<pre>{pretty}</pre>")

    def _index_page(self) -> _Reply:
        with self._lock:
            rows = [
                f'<li><a href="/dashboard/payments/{p.id}"><code>{p.id}</code></a> '
                f"{html.escape(p.description)} - {p.currency} {p.amount:.2f} - {p.status}</li>"
                for p in reversed(self._payments.values())
            ]
        listing = f"<ul>{''.join(rows)}</ul>" if rows else "<p>No payments yet.</p>"
        return _html_reply(200, "Mollie test double", listing)

    # ------------------------------------------------------------ control over HTTP

    def _handle_control(self, method: str, path: str, body: bytes) -> _Reply:
        try:
            data = self._parse_json_body(body) if method == "POST" else {}
        except _ApiError as exc:
            return _plain_json_reply(400, {"error": exc.detail})
        try:
            return self._route_control(method, path, data)
        except KeyError as exc:
            return _plain_json_reply(404, {"error": f"unknown id {exc.args[0]}"})
        except (ValueError, TypeError) as exc:
            return _plain_json_reply(400, {"error": str(exc)})

    def _route_control(self, method: str, path: str, data: dict[str, Any]) -> _Reply:
        segments = [s for s in path.split("/") if s][1:]  # drop "_control"
        if method == "GET" and segments == ["payments"]:
            return _plain_json_reply(200, self.payments)
        if method == "GET" and segments == ["refunds"]:
            return _plain_json_reply(200, self.refunds)
        if method == "GET" and segments == ["webhooks"]:
            return _plain_json_reply(200, self.webhook_calls)
        if method == "GET" and segments == ["requests"]:
            return _plain_json_reply(200, self.api_requests)
        if method != "POST":
            return _plain_json_reply(404, {"error": "unknown control endpoint"})
        if len(segments) == 3 and segments[0] == "payments" and segments[2] == "status":
            payment = self.set_status(
                segments[1],
                str(data.get("status", "")),
                method=data.get("method") or None,
                notify=bool(data.get("notify", True)),
            )
            return _plain_json_reply(200, payment)
        if len(segments) == 3 and segments[0] == "refunds" and segments[2] == "status":
            refund = self.set_refund_status(
                segments[1], str(data.get("status", "")), notify=bool(data.get("notify", False))
            )
            return _plain_json_reply(200, refund)
        if segments == ["fail"]:
            self.fail_next(
                int(data.get("count", 1)),
                str(data.get("mode", "500")),
                str(data.get("paths_prefix", "/v2/")),
            )
            return _plain_json_reply(200, {"ok": True})
        if segments == ["reset"]:
            self.reset()
            return _plain_json_reply(200, {"ok": True})
        if segments == ["expire-due"]:
            return _plain_json_reply(200, {"expired": self.expire_due()})
        if segments == ["allow-keys"]:
            keys = data.get("keys")
            if keys is None:
                self.allow_any_key()
            else:
                self.allow_keys([str(k) for k in keys])
            return _plain_json_reply(200, {"ok": True})
        return _plain_json_reply(404, {"error": "unknown control endpoint"})

    # ------------------------------------------------------------ webhooks

    def _deliver(self, payment_id: str, url: str, *, sync_first: bool) -> None:
        """Call ``url`` with ``id=payment_id`` until it answers 2xx or retries run out."""
        with self._cond:
            self._inflight_deliveries += 1
            generation = self._generation
        delays = self.retry_delays
        if sync_first:
            try:
                done = self._post_webhook(payment_id, url, 1, generation)
            except BaseException:
                self._delivery_finished(generation)
                raise
            if done or not delays:
                self._delivery_finished(generation)
                return
            start = 2
        else:
            start = 1
        threading.Thread(
            target=self._run_delivery,
            args=(payment_id, url, generation, start, delays),
            name=f"mollie-double-webhook:{payment_id}",
            daemon=True,
        ).start()

    def _run_delivery(
        self,
        payment_id: str,
        url: str,
        generation: int,
        attempt: int,
        delays: tuple[float, ...],
    ) -> None:
        try:
            while attempt <= len(delays) + 1:
                if attempt > 1 and self._stop_event.wait(delays[attempt - 2]):
                    return
                if self._post_webhook(payment_id, url, attempt, generation):
                    return
                attempt += 1
        finally:
            self._delivery_finished(generation)

    def _delivery_finished(self, generation: int) -> None:
        with self._cond:
            # A reset() zeroed the counter; chains from before it must not decrement it.
            if generation == self._generation:
                self._inflight_deliveries -= 1
            self._cond.notify_all()

    def _post_webhook(self, payment_id: str, url: str, attempt: int, generation: int) -> bool:
        """One attempt; True when the delivery is over (2xx, or abandoned by reset/stop)."""
        if generation != self._generation or self._stop_event.is_set():
            return True
        status_code: int | None = None
        error: str | None = None
        if not _is_http_url(url):
            error = "webhook URL is not http(s)"
        else:
            request = urllib.request.Request(  # noqa: S310 - scheme checked above
                url,
                data=urlencode({"id": payment_id}).encode(),
                method="POST",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": _WEBHOOK_USER_AGENT,
                },
            )
            try:
                with self._opener.open(request, timeout=self.webhook_timeout) as response:
                    response.read()
                    status_code = response.status
            except urllib.error.HTTPError as exc:
                status_code = exc.code
                exc.close()
            except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
                reason = getattr(exc, "reason", exc)
                error = f"{type(exc).__name__}: {reason}"
        ok = status_code is not None and 200 <= status_code < 300
        with self._cond:
            if generation != self._generation:
                return True
            self._webhook_calls.append(
                {
                    "payment_id": payment_id,
                    "url": url,
                    "attempt": attempt,
                    "time": time.time(),
                    "status_code": status_code,
                    "error": error,
                    "ok": ok,
                }
            )
            self._cond.notify_all()
        if self.verbose:
            outcome = status_code if status_code is not None else error
            sys.stderr.write(f"[mollie-double] webhook {payment_id} #{attempt} -> {outcome}\n")
        return ok


# --------------------------------------------------------------------------------------
# HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    server_version = "MollieDouble/1.0"

    def version_string(self) -> str:
        return self.server_version

    @property
    def double(self) -> MollieDouble:
        return self.server.double  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        if self.double.verbose:
            super().log_message(format, *args)

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.double._handle(method, self.path, self.headers, body)
        except Exception as exc:  # a bug in the double must still answer like an API
            reply = _error_reply(500, f"Mollie double crashed: {type(exc).__name__}: {exc}")
            if self.double.verbose:
                import traceback

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


# --------------------------------------------------------------------------------------
# command line


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


if __name__ == "__main__":
    sys.exit(main())
