"""What the payment services need from a payment provider, and nothing more.

A provider is a class with four methods. It owns everything specific to its service: the API
client and its credentials (usually per organisation), timeouts, endpoints, and the mapping of
the service's errors onto :mod:`weticket_wagtail.payments.errors`:

* :class:`~weticket_wagtail.payments.errors.PaymentUnavailable` when the service cannot be
  reached or answers with a temporary error. The services retry later with the same
  ``idempotency_key``, so the provider must pass that key on (or make the call safe to repeat
  in another way).
* :class:`~weticket_wagtail.payments.errors.PaymentRefused` when creating a payment is refused
  and repeating the request will not help (its ``message`` is shown to the buyer).
* :class:`~weticket_wagtail.payments.errors.RefundError` when a refund is refused.

Statuses are ours (:class:`weticket_wagtail.payments.models.Payment.Status` and
``Refund.Status``); Mollie's happen to be the same words. Amounts are :class:`~decimal.Decimal`
in the payment's currency. Nothing a provider returns may contain card or bank details: we
store ids, statuses, methods and amounts only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weticket_wagtail.ticketing.models import Organisation


@dataclass(frozen=True)
class PaymentRequest:
    """A payment to create: the buyer completes it at the returned ``checkout_url``, then goes
    back to ``redirect_url``; the provider calls ``webhook_url`` (when given) on every change."""

    amount: Decimal
    currency: str
    description: str
    redirect_url: str
    webhook_url: str | None
    metadata: dict[str, str]
    language: str
    idempotency_key: str


@dataclass(frozen=True)
class RefundRequest:
    """A refund of ``amount`` of the paid payment ``payment_id``."""

    payment_id: str
    amount: Decimal
    currency: str
    description: str
    metadata: dict[str, str]
    idempotency_key: str


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider sees it."""

    id: str
    status: str
    checkout_url: str = ""
    method: str = ""
    amount_refunded: Decimal = Decimal("0")


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider sees it."""

    id: str
    status: str


class PaymentProvider(ABC):
    """Base class of payment providers; see the module docstring for the contract."""

    #: The provider's name as staff know it, e.g. "Mollie".
    name: str = ""

    @abstractmethod
    def create_payment(
        self, organisation: Organisation, request: PaymentRequest
    ) -> ProviderPayment:
        """Create the payment ``request`` describes, for ``organisation``."""

    @abstractmethod
    def get_payment(self, organisation: Organisation, payment_id: str) -> ProviderPayment:
        """The payment's current status, method and refunded amount."""

    @abstractmethod
    def create_refund(self, organisation: Organisation, request: RefundRequest) -> ProviderRefund:
        """Refund what ``request`` says. Called again with an equal request (the same
        idempotency key) after a :class:`PaymentUnavailable`: the buyer must be refunded once."""

    @abstractmethod
    def get_refund(
        self, organisation: Organisation, *, payment_id: str, refund_id: str
    ) -> ProviderRefund:
        """The refund's current status."""
