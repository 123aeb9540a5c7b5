"""Celery tasks of the privacy app: thin callers of :mod:`.services.campaigns`.

``run_campaign_task`` is started when a material version is published. It works for up to
``CAMPAIGN_TASK_SECONDS``, then queues its successor, so one campaign never holds a worker for
hours. Add the resume task to Celery beat; it restarts campaigns whose task stopped (a worker
killed, a broker that lost the message)::

    CELERY_BEAT_SCHEDULE = {
        "weticket-resume-policy-campaigns": {
            "task": "weticket_wagtail.privacy.tasks.resume_campaigns_task",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
    }

Both tasks acknowledge late and may run twice, or at the same time as a twin: every step of a
campaign is idempotent (see :mod:`weticket_wagtail.privacy.services.campaigns`).
"""

from __future__ import annotations

from celery import shared_task

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.tasks_runtime import run_task, uses_broker

from .services import campaigns

#: A waiting campaign is looked at again after at most this many seconds.
MAX_COUNTDOWN = 300


@shared_task(acks_late=True, ignore_result=True)
def run_campaign_task(campaign_pk: int) -> str:
    """Collect, queue and send campaign ``campaign_pk`` for a while; queue the rest.

    The task that collects the recipients also starts ``CAMPAIGN_SENDERS - 1`` more, which send
    the same campaign side by side (each requeues itself while there is work).
    """
    queued = uses_broker(run_campaign_task)
    if campaigns.collect_if_needed(campaign_pk) and queued:
        for _ in range(int(weticket_settings.CAMPAIGN_SENDERS) - 1):
            run_campaign_task.delay(campaign_pk)
    budget = float(weticket_settings.CAMPAIGN_TASK_SECONDS) if queued else None
    outcome, wait = campaigns.run_campaign(campaign_pk, time_budget=budget)
    if outcome is campaigns.Outcome.MORE:
        run_task(run_campaign_task, campaign_pk)
    elif outcome is campaigns.Outcome.WAITING and queued and wait > 0:
        run_campaign_task.apply_async((campaign_pk,), countdown=min(wait + 1, MAX_COUNTDOWN))
    return outcome.value


@shared_task(acks_late=True, ignore_result=True)
def resume_campaigns_task() -> list[int]:
    """Restart campaigns whose task stopped (see ``CAMPAIGN_STALLED_AFTER_SECONDS``), each with
    ``CAMPAIGN_SENDERS`` tasks; returns their primary keys."""
    restarted = campaigns.claim_stalled_campaigns()
    for campaign_pk in restarted:
        for _ in range(max(1, int(weticket_settings.CAMPAIGN_SENDERS))):
            run_task(run_campaign_task, campaign_pk)
    return restarted
