"""Policy fan-out: a material privacy-statement change emailed to N people through Celery.

Usage::

    .venv/bin/python benchmarks/policy_fanout.py [--recipients 100000] [--rate 0]
        [--batch-size 1000] [--senders 1] [--mark commit-with-dot|after-accept]
        [--redis-url URL]

What it does, start to end (the database, the worker and the Redis database are cleaned up on
success, on error and on Ctrl-C):

1. creates a fresh PostgreSQL database ``weticket_fanout_<pid>`` and migrates it through
   ``example_site/manage.py``;
2. seeds one organisation and ``--recipients`` - 1 orders with distinct buyer addresses (the
   organisation's contact is the last person), and a privacy statement, published as version 1;
3. starts an SMTP server on loopback in this process (aiosmtpd; it only counts who received
   what) and one Celery worker (``celery -A demo worker --pool=solo``) on Redis;
4. publishes version 2 as a material change, from a ``manage.py shell`` process, exactly as an
   editor's publish does: the campaign task goes through Redis to the worker, which collects
   the recipients from the personal-data registry, queues them in the outbox and sends them;
5. waits until the campaign is finished, then compares what the server received with the
   people in the database and prints, as the last line of stdout, one JSON object
   ``{recipients, seconds, messages_per_s, duplicates, missing}``. ``seconds`` runs from the
   commit of the publish to the last message at the server. ``duplicates`` and ``missing``
   must be 0.

``--rate`` is ``CAMPAIGN_RATE_PER_SECOND`` (0: as fast as the server takes them), ``--senders``
is ``CAMPAIGN_SENDERS`` (tasks sending side by side, in a prefork worker). ``--mark
after-accept`` measures the simpler protocol (each message recorded after the server's 250, in
its own commit) for comparison with the default (recorded in a commit written with the final
dot); see docs/performance.md. Progress goes to stderr; stdout holds only the JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import redis
from _support import (
    HOST,
    PYTHON,
    REPO,
    SITE,
    create_database,
    drop_database,
    free_port,
    last_json_line,
    manage,
)
from aiosmtpd.controller import Controller

PG_URL_TEMPLATE = "postgres://postgres@127.0.0.1:5432/{name}"

SEED = """
import os, time
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from wagtail.models import Site
from wagtail.rich_text import RichText
from weticket_wagtail.privacy.models import PrivacyStatementPage, Processor
from weticket_wagtail.ticketing.models import Event, Order, Organisation

people = int(os.environ["BENCH_RECIPIENTS"])
organisation = Organisation.objects.create(
    name="Fan-out benchmark", slug="fanout", contact_email="organiser@fanout.example"
)
starts_at = timezone.now() + timedelta(days=30)
event = Event.objects.create(
    organisation=organisation, title="Benchmark", slug="benchmark", venue="Hall",
    starts_at=starts_at, ends_at=starts_at + timedelta(hours=4), is_published=True,
)
batch = []
for index in range(people - 1):
    batch.append(Order(
        organisation=organisation, event=event, buyer_name=f"Buyer {index}",
        buyer_email=f"buyer{index:06d}@example.org", language="nl", total=Decimal("10.00"),
    ))
    if len(batch) == 5000:
        Order.objects.bulk_create(batch)
        batch = []
Order.objects.bulk_create(batch)
home = Site.objects.get(is_default_site=True).root_page
Processor.objects.create(
    locale=home.locale, name="Mollie B.V.", role="payment_provider",
    purpose="Handles payments.", data_categories=["contact", "financial"], country="Nederland",
)
page = home.add_child(instance=PrivacyStatementPage(
    title="Privacyverklaring", slug="privacy", live=False,
    body=[("section", {"heading": "Bewaartermijnen", "anchor": "", "content": [
        ("text", RichText("<p>Wij bewaren bestellingen zeven jaar.</p>")),
        ("processors", None),
    ]})],
))
page.save_revision().publish()
print(Order.objects.count())
"""

PUBLISH = """
import json, time
from weticket_wagtail.privacy.models import PrivacyStatementPage
page = PrivacyStatementPage.objects.get(slug="privacy").get_latest_revision_as_object()
body = page.body.raw_data
body[0]["value"]["content"][0]["value"] = "<p>Wij bewaren bestellingen en facturen zeven jaar.</p>"
page.body = list(body)
page.change_summary = "Facturen bewaren wij nu ook zeven jaar."
page.change_is_material = True
page.save_revision().publish()  # the campaign task is queued on commit
print(json.dumps({"published_at": time.time()}))
"""

STATUS = """
import json
from weticket_wagtail.privacy.models import CampaignRecipient, NotificationCampaign
from weticket_wagtail.privacy.registry import personal_data
campaign = NotificationCampaign.objects.get()
emails = sorted(CampaignRecipient.objects.filter(campaign=campaign).values_list("email", flat=True))
held = sorted(s.email for batch in personal_data.subjects() for s in batch)
print(json.dumps({"status": campaign.status, "recipients": emails, "people": held}))
"""


def log(message: str) -> None:
    print(f"[policy_fanout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class CountingHandler:
    """An SMTP handler that keeps only who received a message, and when the last one came."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received.update(envelope.rcpt_tos)
            self.count += 1
            self.last_at = time.time()
        return "250 OK"


def wait_for_file(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start; see its log")
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=0.0, help="CAMPAIGN_RATE_PER_SECOND")
    parser.add_argument("--batch-size", type=int, default=1000, help="CAMPAIGN_BATCH_SIZE")
    parser.add_argument(
        "--senders",
        type=int,
        default=1,
        help="CAMPAIGN_SENDERS; the worker gets as many processes",
    )
    parser.add_argument(
        "--mark", choices=["commit-with-dot", "after-accept"], default="commit-with-dot"
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many s")
    args = parser.parse_args()
    if args.recipients < 2:
        parser.error("--recipients must be at least 2")

    database = f"weticket_fanout_{os.getpid()}"
    ready_file = Path(tempfile.gettempdir()) / f"policy_fanout_ready_{os.getpid()}"
    ready_file.unlink(missing_ok=True)
    handler = CountingHandler()
    controller = Controller(handler, hostname=HOST, port=free_port(), ready_timeout=10)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=PG_URL_TEMPLATE.format(name=database),
        DJANGO_SETTINGS_MODULE="fanout_settings",
        PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), str(SITE), str(REPO)]),
        CELERY_BROKER_URL=args.redis_url,
        BENCH_SMTP_PORT=str(controller.port),
        BENCH_RECIPIENTS=str(args.recipients),
        BENCH_MARK=args.mark,
        BENCH_READY_FILE=str(ready_file),
        WETICKET_CAMPAIGN_RATE_PER_SECOND=str(args.rate),
        WETICKET_CAMPAIGN_BATCH_SIZE=str(args.batch_size),
        WETICKET_CAMPAIGN_SENDERS=str(args.senders),
    )
    broker = redis.Redis.from_url(args.redis_url)
    worker = None
    logfile = tempfile.NamedTemporaryFile(
        prefix="policy_fanout_worker_", suffix=".log", delete=False
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        broker.flushdb()
        log(f"creating database {database}")
        create_database(database)
        manage({**env, "CELERY_BROKER_URL": ""}, "migrate", "--noinput", timeout=600)
        log(f"seeding {args.recipients - 1} orders and a privacy statement (version 1)")
        started = time.monotonic()
        manage({**env, "CELERY_BROKER_URL": ""}, "shell", timeout=1200, stdin=SEED)
        log(f"seeded in {time.monotonic() - started:.1f}s")
        controller.start()
        worker = subprocess.Popen(
            [
                str(PYTHON),
                "-m",
                "celery",
                "-A",
                "demo",
                "worker",
                *(
                    ["--pool=solo"]
                    if args.senders == 1
                    else ["--pool=prefork", f"--concurrency={args.senders}"]
                ),
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=SITE,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_file(ready_file, worker, timeout=120)
        log(f"worker pid {worker.pid} ready, log {logfile.name}; publishing version 2 (material)")
        published_at = last_json_line(manage(env, "shell", timeout=300, stdin=PUBLISH))[
            "published_at"
        ]
        deadline = time.monotonic() + args.timeout
        last_report = time.monotonic()
        while handler.count < args.recipients:
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out with {handler.count} of {args.recipients} sent")
            if worker.poll() is not None:
                raise RuntimeError(
                    f"the worker exited with {worker.returncode}; see {logfile.name}"
                )
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                rate = handler.count / max(time.time() - published_at, 1e-9)
                log(f"{handler.count} of {args.recipients} received ({rate:.0f}/s so far)")
            time.sleep(0.05)
        time.sleep(2)  # let anything that would be a duplicate arrive
        status = last_json_line(manage(env, "shell", timeout=300, stdin=STATUS))
        seconds = handler.last_at - published_at
        expected = set(status["people"])
        duplicates = sum(count - 1 for count in handler.received.values() if count > 1)
        missing = len(expected - set(handler.received))
        unexpected = len(set(handler.received) - expected)
        log(
            f"campaign {status['status']}; {len(status['recipients'])} recipient rows; "
            f"{handler.count} messages; {unexpected} to unknown addresses"
        )
        result = {
            "recipients": len(expected),
            "seconds": round(seconds, 2),
            "messages_per_s": round(handler.count / seconds, 1),
            "duplicates": duplicates,
            "missing": missing,
        }
        print(json.dumps(result), flush=True)
        return 0 if duplicates == 0 and missing == 0 and unexpected == 0 else 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            controller.stop()
        with contextlib.suppress(Exception):
            broker.flushdb()
        with contextlib.suppress(Exception):
            drop_database(database)
        ready_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
