"""The payment provider seam: which service takes the buyers' money.

``WETICKET["PAYMENT_PROVIDER"]`` names a :class:`~.base.PaymentProvider` subclass by its dotted
path (default: :class:`weticket_wagtail.payments.providers.mollie.MollieProvider`, the only
one shipped). The payment services call the provider for the four things they need from it
(create and get a payment, create and get a refund) and decide everything else themselves, so
an agency can add another provider without forking the package.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from weticket_wagtail.conf import weticket_settings

from .base import PaymentProvider, PaymentRequest, ProviderPayment, ProviderRefund, RefundRequest

__all__ = [
    "PaymentProvider",
    "PaymentRequest",
    "ProviderPayment",
    "ProviderRefund",
    "RefundRequest",
    "get_provider",
]


def get_provider() -> PaymentProvider:
    """The configured provider (a new instance of the class the setting names).

    Raises :class:`ImproperlyConfigured` when the setting names no such class, or a class that
    is not a :class:`PaymentProvider` (the system check ``weticket.E004`` says so at start-up).
    """
    return provider_class(weticket_settings.PAYMENT_PROVIDER)()


@lru_cache(maxsize=8)
def provider_class(path: str) -> type[PaymentProvider]:
    """The provider class at the dotted ``path``, imported once."""
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f'WETICKET["PAYMENT_PROVIDER"] = {path!r} cannot be imported: {exc}'
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, PaymentProvider)):
        raise ImproperlyConfigured(
            f'WETICKET["PAYMENT_PROVIDER"] = {path!r} is not a subclass of '
            "weticket_wagtail.payments.providers.PaymentProvider"
        )
    return cls
