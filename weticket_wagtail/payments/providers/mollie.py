"""Mollie, through the official ``mollie-api-python`` client (payments API v2).

The client is made per organisation with its own decrypted key (or ``MOLLIE_FALLBACK_API_KEY``),
``MOLLIE_TIMEOUT`` and ``MOLLIE_API_ENDPOINT`` (empty: the real Mollie). Keys are never logged;
error descriptions carry the exception class, the HTTP status and Mollie's text only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import ResponseError
from mollie.api.objects.payment import Payment as MolliePayment

from weticket_wagtail.conf import weticket_settings

from ..errors import PaymentRefused, PaymentUnavailable, RefundError
from .base import PaymentProvider, PaymentRequest, ProviderPayment, ProviderRefund, RefundRequest

if TYPE_CHECKING:
    from weticket_wagtail.ticketing.models import Organisation

CENT = Decimal("0.01")
LOCALES = {"nl": "nl_NL", "en": "en_US", "de": "de_DE", "fr": "fr_FR"}


def mollie_amount(amount: Decimal, currency: str = "EUR") -> dict[str, str]:
    """The one formatter for Mollie's amount objects: ``{"currency": "EUR", "value": "10.00"}``."""
    return {"currency": currency, "value": f"{Decimal(amount).quantize(CENT)}"}


def parse_amount(value: dict | None) -> Decimal:
    """A Mollie amount object as a Decimal (0 for none)."""
    if not value:
        return Decimal("0")
    return Decimal(str(value.get("value", "0")))


def describe(exc: Exception) -> str:
    """A log-safe description of a Mollie error (no keys, no bodies)."""
    status = getattr(exc, "status", None)
    text = str(exc).replace("\n", " ")[:200]
    return f"{type(exc).__name__}{f' {status}' if status else ''}: {text}"[:255]


class MollieProvider(PaymentProvider):
    """Payments and refunds at Mollie (the default ``WETICKET["PAYMENT_PROVIDER"]``)."""

    name = "Mollie"

    def client(self, organisation: Organisation) -> Client:
        """A Mollie client with the organisation's decrypted key (never logged)."""
        key = organisation.mollie_api_key or weticket_settings.MOLLIE_FALLBACK_API_KEY
        if not key:
            raise PaymentRefused(
                _("This organisation cannot take payments yet."),
                detail="no Mollie API key",
                code="no_api_key",
            )
        client = Client(
            api_endpoint=weticket_settings.MOLLIE_API_ENDPOINT or "",
            timeout=weticket_settings.MOLLIE_TIMEOUT,
        )
        client.set_api_key(key)
        return client

    def create_payment(
        self, organisation: Organisation, request: PaymentRequest
    ) -> ProviderPayment:
        data = {
            "amount": mollie_amount(request.amount, request.currency),
            "description": request.description[:255],
            "redirectUrl": request.redirect_url,
            "metadata": request.metadata,
            "locale": LOCALES.get(request.language[:2], "en_US"),
        }
        if request.webhook_url:
            data["webhookUrl"] = request.webhook_url
        client = self.client(organisation)
        try:
            created = client.payments.create(data, idempotency_key=request.idempotency_key)
        except MollieError as exc:
            status = exc.status if isinstance(exc, ResponseError) else None
            if status and 400 <= status < 500 and status != 409:  # 409: the key is in flight
                raise PaymentRefused(
                    _("The payment could not be started. Please contact the organiser."),
                    detail=describe(exc),
                ) from exc
            raise PaymentUnavailable(describe(exc)) from exc
        return self._payment(created)

    def get_payment(self, organisation: Organisation, payment_id: str) -> ProviderPayment:
        client = self.client(organisation)
        try:
            return self._payment(client.payments.get(payment_id))
        except MollieError as exc:
            raise PaymentUnavailable(describe(exc)) from exc

    def create_refund(self, organisation: Organisation, request: RefundRequest) -> ProviderRefund:
        client = self.client(organisation)
        data = {
            "amount": mollie_amount(request.amount, request.currency),
            "description": request.description[:255],
            "metadata": request.metadata,
        }
        try:
            remote = MolliePayment({"id": request.payment_id}, client).refunds.create(
                data, idempotency_key=request.idempotency_key
            )
        except MollieError as exc:
            if isinstance(exc, ResponseError) and exc.status == 422:
                raise RefundError(str(exc), detail=describe(exc)) from exc
            raise PaymentUnavailable(describe(exc)) from exc
        return ProviderRefund(id=remote.id, status=remote.status)

    def get_refund(
        self, organisation: Organisation, *, payment_id: str, refund_id: str
    ) -> ProviderRefund:
        client = self.client(organisation)
        try:
            remote = MolliePayment({"id": payment_id}, client).refunds.get(refund_id)
        except MollieError as exc:
            raise PaymentUnavailable(describe(exc)) from exc
        return ProviderRefund(id=remote.id, status=remote.status)

    @staticmethod
    def _payment(remote) -> ProviderPayment:
        return ProviderPayment(
            id=remote.id,
            status=remote.status,
            checkout_url=remote.checkout_url or "",
            method=remote.method or "",
            amount_refunded=parse_amount(remote.amount_refunded),
        )
