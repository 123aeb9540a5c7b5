"""Mollie's webhook: the only thing we read is the payment id."""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from weticket_wagtail.logsafe import scrub_error

from .services import PaymentUnavailable, sync_payment

logger = logging.getLogger(__name__)

PAYMENT_ID = re.compile(r"^tr_[A-Za-z0-9]{4,64}$")


@csrf_exempt  # Mollie cannot send a CSRF token; we trust nothing in the body but the id.
@require_POST
def mollie_webhook(request: HttpRequest) -> HttpResponse:
    """200 once applied (or for ids we do not know, without saying so); 503 to make Mollie
    retry: when Mollie or our lock is unavailable, and on any unexpected error (logged without
    the buyer's token; the payment stays to be applied again by the reconcile task)."""
    try:
        mollie_id = request.POST.get("id", "")
    except Exception:  # a body that is not form data at all  # noqa: BLE001
        mollie_id = ""
    if not isinstance(mollie_id, str) or not PAYMENT_ID.match(mollie_id):
        return HttpResponseBadRequest("invalid id", content_type="text/plain")
    try:
        payment = sync_payment(mollie_id)
    except PaymentUnavailable:
        return HttpResponse("retry later", status=503, content_type="text/plain")
    except Exception as exc:  # noqa: BLE001 - never a 500: Mollie must come back
        logger.error(
            "Mollie webhook for %s not applied: %s",
            mollie_id,
            scrub_error(f"{type(exc).__name__}: {exc}")[:300],
        )
        return HttpResponse("retry later", status=503, content_type="text/plain")
    if payment is None:
        logger.info("Mollie webhook for unknown payment id %s", mollie_id)
    return HttpResponse("ok", content_type="text/plain")
