"""Celery tasks of the privacy app: thin callers of :mod:`.services`.

``run_campaign_task`` is started when a material version is published. It works for up to
``CAMPAIGN_TASK_SECONDS``, then queues its successor, so one campaign never holds a worker for
hours. Add the periodic tasks to Celery beat::

    from celery.schedules import crontab

    CELERY_BEAT_SCHEDULE = {
        # restarts campaigns whose task stopped (a worker killed, a broker that lost it)
        "weticket-resume-policy-campaigns": {
            "task": "weticket_wagtail.privacy.tasks.resume_campaigns_task",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # expires unconfirmed requests, finishes erasures whose last email has left
        "weticket-sweep-privacy-requests": {
            "task": "weticket_wagtail.privacy.tasks.sweep_requests_task",
            "schedule": 600.0,
            "options": {"expires": 550},
        },
        # emails who handles requests due within 7 days or overdue
        "weticket-privacy-request-reminders": {
            "task": "weticket_wagtail.privacy.tasks.send_request_reminders_task",
            "schedule": crontab(hour=8, minute=0),
        },
        # anonymises or deletes what is past its retention period (see the purge log)
        "weticket-retention-purge": {
            "task": "weticket_wagtail.privacy.tasks.purge_task",
            "schedule": crontab(hour=3, minute=30),
        },
    }

Every task acknowledges late and may run twice, or at the same time as a twin: every step is
idempotent (campaigns: see :mod:`.services.campaigns`; reminders are keyed per person and day).
"""

from __future__ import annotations

from celery import shared_task

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.tasks_runtime import run_task, uses_broker

from .services import campaigns, erasure, reminders, retention

#: A waiting campaign is looked at again after at most this many seconds.
MAX_COUNTDOWN = 300
#: An erasure whose last email has not left yet is looked at again after this many seconds.
ERASURE_RETRY_SECONDS = 60


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


@shared_task(acks_late=True, ignore_result=True)
def finish_erasure_task(request_pk: int) -> bool:
    """Scrub an erased request's last email and address once that email has left."""
    done = erasure.finish_erasure(request_pk)
    if not done and uses_broker(finish_erasure_task):
        finish_erasure_task.apply_async((request_pk,), countdown=ERASURE_RETRY_SECONDS)
    return done


@shared_task(acks_late=True, ignore_result=True)
def sweep_requests_task() -> dict[str, int]:
    """Expire unconfirmed requests and finish erasures waiting for their last email."""
    return {
        "expired": erasure.expire_unconfirmed(),
        "erasures_finished": erasure.finish_pending_erasures(),
    }


@shared_task(acks_late=True, ignore_result=True)
def send_request_reminders_task() -> int:
    """Queue today's reminders of requests due within ``PRIVACY_REMINDER_DAYS`` or overdue."""
    return reminders.send_reminders()


@shared_task(acks_late=True, ignore_result=True)
def purge_task() -> dict[str, int]:
    """Run the retention purge over every category; returns the counts per category.

    Safe to run twice or side by side: each batch is anonymised once (what is done is no
    longer due), and a run that died is finished by the next one."""
    return {result.category: result.total for result in retention.purge()}
