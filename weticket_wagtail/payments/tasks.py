"""Background work of the payments app (add the periodic ones to celery beat; see the README)."""

from contextlib import suppress

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def send_refund_task(refund_id: int) -> None:
    """Send one owed refund now (right after it was decided). Not retried by Celery: the
    periodic :func:`send_owed_refunds_task` retries it with backoff until it is accepted."""
    from .errors import PaymentError
    from .models import Refund
    from .services import submit_refund

    # A failure is recorded on the refund and in the order's log; the periodic task retries.
    with suppress(PaymentError):
        submit_refund(Refund(pk=refund_id))


@shared_task(acks_late=True, ignore_result=True)
def send_owed_refunds_task() -> int:
    """Periodic: send every owed refund whose next attempt is due, until the provider accepts."""
    from .services import send_owed_refunds

    return send_owed_refunds()


@shared_task(acks_late=True, ignore_result=True)
def reconcile_payments_task() -> int:
    """Periodic: look up payments the provider may have decided without our hearing of it, and
    apply paid ones whose order an error left unconfirmed (confirm them, or refund)."""
    from .services import reconcile_payments

    return reconcile_payments()


@shared_task(acks_late=True, ignore_result=True)
def auto_refund_task(payment_id: int) -> None:
    """Kept for tasks queued by an earlier version: settles the payment again, which owes and
    sends the refund if one is due (:func:`reconcile_payments` would do the same later)."""
    from .models import Payment
    from .services import sync_payment

    mollie_id = Payment.objects.filter(pk=payment_id).values_list("mollie_id", flat=True).first()
    if mollie_id:
        sync_payment(mollie_id)
