"""System checks of the payments app: is Mollie's webhook reachable in this project's URLs?"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error
from django.urls import NoReverseMatch, reverse


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
