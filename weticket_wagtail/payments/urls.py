"""Mollie's webhook, under its own namespace (``weticket_payments``).

Included by :mod:`weticket_wagtail.urls` at ``webhooks/``, so the webhook is
``<prefix>/webhooks/mollie/``; :func:`~weticket_wagtail.payments.services.webhook_url` builds
the absolute URL Mollie is given from ``WETICKET["PUBLIC_BASE_URL"]``.
"""

from django.urls import path

from .views import mollie_webhook

app_name = "weticket_payments"

urlpatterns = [
    path("mollie/", mollie_webhook, name="mollie_webhook"),
]
