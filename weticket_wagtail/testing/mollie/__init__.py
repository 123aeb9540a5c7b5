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

One module per concern: ``state`` (the records), ``resources`` (their JSON), ``replies``
(HTTP answers and Mollie's error body), ``api`` (failures, API keys, idempotency in front
of the ``/v2/`` routes), ``routes`` (payments, refunds, methods), ``checkout`` (the HTML
pages), ``control`` (``/_control/``), ``webhooks`` (delivery and retries), ``server``
(``MollieDouble`` and the request handler) and ``cli`` (``main``).

Production code never imports this package.
"""

from .cli import main
from .replies import ERROR_DOCS_URL
from .server import MollieDouble
from .state import (
    CHECKOUT_CHOICES,
    ENABLED_METHODS,
    FAILURE_METHODS,
    FAILURE_MODES,
    KNOWN_METHODS,
    LOCALES,
    PAYMENT_STATUSES,
    REFUND_STATUSES,
    WEBHOOK_STATUSES,
)

__all__ = [
    "CHECKOUT_CHOICES",
    "ENABLED_METHODS",
    "ERROR_DOCS_URL",
    "FAILURE_METHODS",
    "FAILURE_MODES",
    "KNOWN_METHODS",
    "LOCALES",
    "PAYMENT_STATUSES",
    "REFUND_STATUSES",
    "WEBHOOK_STATUSES",
    "MollieDouble",
    "main",
]
