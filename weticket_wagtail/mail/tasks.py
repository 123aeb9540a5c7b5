"""Celery tasks of the outbox: thin callers of :mod:`weticket_wagtail.mail.sender`.

``send_outbox_message_task`` is started after the commit of every
:func:`~weticket_wagtail.mail.outbox.enqueue_email`.
``sweep_outbox_task`` resends what failed or got stuck, and sends what was queued in bulk; run
it every minute with Celery beat::

    CELERY_BEAT_SCHEDULE = {
        "weticket-mail-sweep": {
            "task": "weticket_wagtail.mail.tasks.sweep_outbox_task",
            "schedule": 60.0,
            # A sweep that could not start within the minute is replaced by the next one.
            "options": {"expires": 55},
        },
    }

Both tasks acknowledge late: a worker that dies mid-task has the task redelivered. That is safe
because sending claims the row first (compare-and-set); a redelivered task finds it claimed and
leaves it to the sweep, which retries it once the lease has expired.
"""

from __future__ import annotations

from celery import shared_task

from . import sender


@shared_task(acks_late=True, ignore_result=True)
def send_outbox_message_task(pk: int) -> bool:
    """Send the outbox row ``pk`` unless it was sent or is being sent."""
    return sender.send_outbox_message(pk)


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox_task(time_budget: float = 50.0) -> int:
    """Send everything due (new in bulk, failed and due, abandoned) for up to ``time_budget`` s."""
    return sender.drain_outbox(time_budget=time_budget)
