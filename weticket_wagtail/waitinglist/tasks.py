"""Periodic work of the waiting list (add to celery beat; see the README)."""

from celery import shared_task

from .services import move_expired_offers


@shared_task(acks_late=True, ignore_result=True)
def move_expired_offers_task() -> int:
    """Expire offers past their time and offer their tickets to the next in line."""
    return move_expired_offers()
