"""What can go wrong with a payment provider, in terms the callers act on.

A provider raises these (see :mod:`weticket_wagtail.payments.providers`); the payment services
catch them and decide what the buyer or the staff member is told. ``message`` is fit to show to
a person; ``detail`` is a log-safe technical description (no keys, no buyer data, no tokens)
that is stored as ``last_error`` and shown to staff.
"""

from __future__ import annotations

from weticket_wagtail.ticketing.services.errors import CheckoutError


class PaymentError(CheckoutError):
    """Base of the payment errors: a message for people and a log-safe ``detail``."""

    code = "payment_error"

    def __init__(self, message: str, *, detail: str = "", code: str | None = None):
        super().__init__(message, code=code)
        self.detail = (detail or message)[:255]


class PaymentUnavailable(PaymentError):
    """The provider (or our lock) is unavailable; nothing is lost and the caller may retry with
    the same request (same idempotency key)."""

    code = "payment_unavailable"


class PaymentRefused(PaymentError):
    """The provider refused to create the payment; retrying the same request will not help."""

    code = "payment_refused"


class RefundError(PaymentError):
    """The refund cannot be made: not refundable, or the provider refused it."""

    code = "refund_error"
