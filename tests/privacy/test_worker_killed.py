"""A Celery worker killed with SIGKILL in the middle of a campaign, and restarted: each of the
2,000 people receives the email exactly once.

Real parts only: PostgreSQL (the test database), Redis, Celery worker processes (``celery -A
demo worker``), and an SMTP server on loopback that records every message it accepts. The Redis
database (``REDIS_URL``, db 15 by default) is shared with other runs on the machine, so it is
never flushed: the workers and the producer prefix every key with a prefix of this run
(kombu's ``global_keyprefix``), and the test deletes only the keys with that prefix.

The restarted worker is told to resume the way Celery beat would (``resume_campaigns_task``); a
short lease lets it take over the killed worker's rows quickly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.models import NotificationCampaign
from weticket_wagtail.privacy.services import versions

from .conftest import make_orders, publish

REPO = Path(__file__).resolve().parents[2]
RUN_TASK = "weticket_wagtail.privacy.tasks.run_campaign_task"
RESUME_TASK = "weticket_wagtail.privacy.tasks.resume_campaigns_task"
PEOPLE = 2_000
KILL_AT = 500


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A ``celery -A demo worker`` (two processes) in its own process group, logging to a file."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "demo",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO / "example_site",
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def wait_until(condition, timeout: float, what: str, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_campaign_and_restarted_sends_each_address_exactly_once(
    require_postgres, redis_url, smtp_sink, campaign_pace, statement, monkeypatch, tmp_path
):
    broker = redis.Redis.from_url(redis_url)
    keyprefix = f"weticket_test_worker_killed_{os.getpid()}_{uuid.uuid4().hex[:8]}:"
    make_orders([f"person{i:04d}@example.org" for i in range(PEOPLE - 1)])  # + 1 organisation
    monkeypatch.setattr(versions, "run_task", lambda task, *args: None)
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = "<p>You may see and correct your data.</p>"
    publish(
        statement, body=body, change_summary="You may correct your data.", change_is_material=True
    )
    campaign = NotificationCampaign.objects.get()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "example_site")]),
        "DJANGO_SETTINGS_MODULE": "tests.privacy.worker_settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "WETICKET_REDIS_KEYPREFIX": keyprefix,
        "WETICKET_SMTP_PORT": str(smtp_sink.port),
        "WETICKET_CAMPAIGN_RATE_PER_SECOND": "400",
        "WETICKET_CAMPAIGN_SENDERS": "2",
        "WETICKET_CAMPAIGN_BATCH_SIZE": "250",
        "WETICKET_CAMPAIGN_LEASE_SECONDS": "3",
        "WETICKET_CAMPAIGN_STALLED_AFTER_SECONDS": "2",
        "WETICKET_CAMPAIGN_TASK_SECONDS": "20",
    }
    # Not the current app: later tests look tasks up on the current app, which must stay the
    # package's own (a current app made here would lack every task imported after it).
    producer = Celery(broker=redis_url, set_as_current=False)
    producer.conf.broker_transport_options = {"global_keyprefix": keyprefix}
    log = tmp_path / "workers.log"
    workers = []
    try:
        workers.append(Worker(env, log))
        producer.send_task(RUN_TASK, args=[campaign.pk])
        wait_until(lambda: smtp_sink.count >= KILL_AT, 60, f"{KILL_AT} emails at the sink")
        workers[0].kill()
        at_kill = smtp_sink.count
        assert at_kill < PEOPLE, "the campaign finished before the worker could be killed"

        workers.append(Worker(env, log))
        last_resume = 0.0

        def finished() -> bool:
            nonlocal last_resume
            if time.monotonic() - last_resume > 2:  # what Celery beat does, every 2 s here
                producer.send_task(RESUME_TASK)
                last_resume = time.monotonic()
            return NotificationCampaign.objects.filter(
                pk=campaign.pk, status=NotificationCampaign.Status.FINISHED
            ).exists()

        wait_until(finished, 75, "the campaign to finish", every=0.2)
    except BaseException:
        print(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        for worker in workers:
            worker.kill()
        producer.close()
        ours = list(broker.scan_iter(match=f"{keyprefix}*", count=1000))
        if ours:
            broker.delete(*ours)

    assert ours, "the workers' Redis keys did not carry this run's prefix"
    received = Counter(rcpt for _sender, rcpts in smtp_sink.envelopes for rcpt in rcpts)
    expected = {f"person{i:04d}@example.org" for i in range(PEOPLE - 1)}
    expected |= set(campaign.recipients.values_list("email", flat=True))
    assert len(expected) == PEOPLE
    assert [address for address, count in received.items() if count > 1] == []  # no duplicate
    assert set(received) == expected  # nobody missing
    assert KILL_AT <= at_kill < PEOPLE
    assert OutboxMessage.objects.filter(topic="policy_change", status="sent").count() == PEOPLE
