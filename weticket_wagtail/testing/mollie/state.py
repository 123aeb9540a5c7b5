"""What the double remembers: payments, refunds, API keys, idempotency keys, queued failures.

``Store`` holds it all behind one re-entrant lock; every other module of the double reads
and changes the records only while holding ``store.lock``. Nothing here speaks HTTP.
"""

from __future__ import annotations

import functools
import re
import secrets
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from .replies import Reply

#: Statuses a payment can be put in with ``set_status``.
PAYMENT_STATUSES = ("open", "pending", "authorized", "paid", "failed", "canceled", "expired")
#: Statuses the hosted checkout page offers.
CHECKOUT_CHOICES = ("paid", "failed", "canceled", "expired")
#: Statuses on which Mollie calls the webhook (a change *to* one of these).
WEBHOOK_STATUSES = frozenset({"authorized", "paid", "failed", "canceled", "expired"})
REFUND_STATUSES = ("queued", "pending", "processing", "refunded", "failed", "canceled")

FAILURE_MODES = ("500", "503", "timeout")
#: HTTP methods ``fail_next(method=...)`` can be limited to.
FAILURE_METHODS = ("GET", "POST", "PATCH", "DELETE")

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

_ALNUM = string.ascii_letters + string.digits


def now() -> datetime:
    """The current time in UTC, to the second (Mollie's timestamps carry no fraction)."""
    return datetime.now(UTC).replace(microsecond=0)


def random_id(prefix: str) -> str:
    """A Mollie-shaped id: ``prefix`` and ten letters or digits (``tr_xxxxxxxxxx``)."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(10))


def is_http_url(value: Any) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL."""
    if not isinstance(value, str) or not value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass
class Payment:
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
class Refund:
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


@functools.lru_cache(maxsize=64)
def _prefix_pattern(paths_prefix: str) -> re.Pattern[str]:
    # "*" stands for one path segment, so "/v2/payments/*/refunds" needs no payment id.
    return re.compile("[^/]+".join(re.escape(part) for part in paths_prefix.split("*")))


@dataclass
class Failure:
    """``remaining`` more requests matching ``paths_prefix`` (and ``method``) fail in ``mode``."""

    remaining: int
    mode: str
    paths_prefix: str
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        return _prefix_pattern(self.paths_prefix).match(path) is not None


def apply_status(payment: Payment, status: str, method: str | None) -> None:
    """Put ``payment`` in ``status``, setting its timestamp and method like Mollie does.

    Raises ``ValueError`` for a status not in ``PAYMENT_STATUSES``.
    """
    if status not in PAYMENT_STATUSES:
        raise ValueError(f"status must be one of {PAYMENT_STATUSES}, not {status!r}")
    moment = now()
    payment.status = status
    if method:
        payment.method = method
    if status in ("paid", "failed", "authorized") and not payment.method:
        payment.method = "ideal"
    if status == "open":
        payment.paid_at = payment.failed_at = payment.canceled_at = None
        payment.expired_at = payment.authorized_at = None
    elif status == "paid":
        payment.paid_at = payment.paid_at or moment
        if payment.method == "ideal" and payment.details is None:
            payment.details = {
                "consumerName": "T. TEST",
                "consumerAccount": "NL72RABO0110438885",
                "consumerBic": "RABONL2U",
            }
    elif status == "authorized":
        payment.authorized_at = payment.authorized_at or moment
    elif status == "failed":
        payment.failed_at = payment.failed_at or moment
    elif status == "canceled":
        payment.canceled_at = payment.canceled_at or moment
    elif status == "expired":
        payment.expired_at = payment.expired_at or moment


class Store:
    """All records of one double, guarded by ``lock`` (re-entrant).

    ``reset()`` forgets payments, refunds, idempotency keys, queued failures and the
    request log; registered API keys survive it.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.allowed_keys: set[str] = set()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.payments: dict[str, Payment] = {}
            self.refunds: dict[str, Refund] = {}
            #: ``(api key, Idempotency-Key)`` -> ``(request fingerprint, first reply)``.
            self.idempotency: dict[tuple[str, str], tuple[str, Reply]] = {}
            #: ``(Authorization header, Idempotency-Key)`` of requests still sleeping.
            self.idempotency_inflight: set[tuple[str, str]] = set()
            self.failures: list[Failure] = []
            self.api_requests: list[dict[str, Any]] = []

    def new_id(self, prefix: str) -> str:
        """An id with ``prefix`` that no payment or refund has yet."""
        while True:
            candidate = random_id(prefix)
            if candidate not in self.payments and candidate not in self.refunds:
                return candidate

    def refunded(self, payment: Payment) -> Decimal:
        """What has been refunded of ``payment``; failed and canceled refunds do not count."""
        total = Decimal("0.00")
        for refund_id in payment.refund_ids:
            refund = self.refunds[refund_id]
            if refund.status not in ("failed", "canceled"):
                total += refund.amount
        return total

    def add_failure(self, failure: Failure) -> None:
        with self.lock:
            self.failures.append(failure)

    def take_failure(self, method: str, path: str) -> str | None:
        """The mode of the first queued failure matching this request, counting it down."""
        with self.lock:
            for failure in self.failures:
                if failure.matches(method, path):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self.failures.remove(failure)
                    return failure.mode
        return None

    def allow_keys(self, keys: Iterable[str]) -> None:
        with self.lock:
            self.allowed_keys.update(k.strip() for k in keys)

    def key_allowed(self, key: str) -> bool:
        """True unless keys were registered and ``key`` is not one of them."""
        with self.lock:
            return not self.allowed_keys or key in self.allowed_keys
