"""System checks of the payments app."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from weticket_wagtail.conf import weticket_settings

from .providers import provider_class


@register()
def check_payment_provider(app_configs: Any = None, **kwargs: Any) -> list:
    """``WETICKET["PAYMENT_PROVIDER"]`` must name an importable PaymentProvider subclass."""
    try:
        provider_class(weticket_settings.PAYMENT_PROVIDER)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Leave PAYMENT_PROVIDER out to use Mollie, or give the dotted path of "
                "your own subclass of weticket_wagtail.payments.providers.PaymentProvider.",
                id="weticket.E020",
            )
        ]
    return []
