"""Background work of the payments app."""

from celery import shared_task


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=10,
)
def auto_refund_task(payment_id: int) -> None:
    """Refund a payment for tickets we could not deliver (paid late, or paid twice)."""
    from .services import auto_refund

    auto_refund(payment_id)
