"""System checks of the payments app: a usable payment provider, and Mollie's webhook in the
project's URLs."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

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


@register(Tags.urls)
def check_webhook_url(app_configs: Any = None, **kwargs: Any) -> list:
    """``weticket.E004`` when the project's URLs lack the webhook (``weticket_wagtail.urls``).

    Earlier releases served the webhook from ``weticket_wagtail.checkout.urls``; a project that
    still includes only that module would fail at every payment.
    """
    try:
        reverse("weticket_payments:mollie_webhook")
    except NoReverseMatch:
        return [
            Error(
                "Mollie's webhook is not in the project's URLs, so no payment can be started.",
                hint='Include every public URL of the package: path("tickets/", '
                'include("weticket_wagtail.urls")) instead of weticket_wagtail.checkout.urls.',
                id="weticket.E004",
            )
        ]
    return []
