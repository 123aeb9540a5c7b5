"""Periodic work of the ticketing app (add to celery beat; see the README)."""

from celery import shared_task

from .services.reservations import release_expired_reservations


@shared_task(acks_late=True, ignore_result=True)
def release_expired_reservations_task() -> int:
    """Mark expired holds as released. Capacity is already free at expiry; this tidies up."""
    return release_expired_reservations()
