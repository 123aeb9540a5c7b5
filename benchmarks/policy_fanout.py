"""Policy fan-out: a material privacy-statement change emailed to N people through Celery.

Usage::

    .venv/bin/python benchmarks/policy_fanout.py [--recipients 100000] [--rate 0]
        [--batch-size 1000] [--senders 1] [--mark commit-with-dot|after-accept]
        [--redis-url URL]

What it does, start to end (the database, the worker and the Redis keys are cleaned up on
success, on error and on Ctrl-C):

1. creates a fresh PostgreSQL database ``weticket_fanout_<pid>`` and migrates it through
   ``example_site/manage.py``;
2. seeds one organisation and ``--recipients`` - 1 orders with distinct buyer addresses (the
   organisation's contact is the last person), and a privacy statement, published as version 1;
3. starts an SMTP server on loopback in this process (aiosmtpd; it only counts who received
   what) and one Celery worker (``celery -A demo worker --pool=solo``) on Redis. The Redis
   database (``--redis-url``, db 14 by default) may be shared with other runs and test suites,
   so it is never flushed: the worker and every producer prefix their keys with
   ``policy_fanout_<pid>_<random>:`` (kombu's ``global_keyprefix`` transport option, through
   ``BENCH_REDIS_KEYPREFIX``), and only keys with that prefix are deleted at the end;
4. publishes version 2 as a material change, from a ``manage.py shell`` process, exactly as an
   editor's publish does: the campaign task goes through Redis to the worker, which collects
   the recipients from the personal-data registry, queues them in the outbox and sends them;
5. waits until the campaign is finished, then compares what the server received with the
   people in the database. ``seconds`` runs from the commit of the publish to the last message
   at the server. ``duplicates`` and ``missing`` must be 0;
6. times the *floor* against the same server, once right before the worker starts and once
   right after the campaign (the worker stopped): a separate process (like the worker) that
   sends as many messages with plain ``smtplib`` over one connection, each the same bytes as a
   campaign email (version 1's, built as the sender builds it, before the campaign; the
   campaign's first message after it) to its own envelope recipient (``floor<i>@floor.example``).
   Nothing is built or recorded per message: this is what the SMTP conversation alone costs on
   this machine at this moment. ``floor_messages_per_s`` counts both runs; the machine's speed
   swings from minute to minute, so ``ratio_to_floor`` (the campaign's rate over the floor's)
   compares across runs where absolute rates do not. Then, once, the *built floor*: the same,
   but each message built for its person with the standard library
   (``email.message.EmailMessage``: the campaign email's subject, text and HTML, the person's
   ``To``, a ``Date`` and a ``Message-ID``), as a plain smtplib program would;
7. prints, as the last line of stdout, one JSON object ``{recipients, seconds, messages_per_s,
   duplicates, missing, floor_seconds: [before, after], floor_messages_per_s, ratio_to_floor,
   built_floor_messages_per_s, ratio_to_built_floor}``.

``--rate`` is ``CAMPAIGN_RATE_PER_SECOND`` (0: as fast as the server takes them), ``--senders``
is ``CAMPAIGN_SENDERS`` (tasks sending side by side, in a prefork worker). ``--mark
after-accept`` measures the simpler protocol (each message recorded after the server's 250, in
its own commit) for comparison with the default (recorded in a commit written with the final
dot); see docs/performance.md. ``--no-floor`` skips step 6. Progress goes to stderr; stdout holds
only the JSON line.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
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

# The floor's model before the campaign: version 1's email to the first buyer, built as the
# sender builds it (the campaign's own first message is the model after it).
import base64, json
from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.mail import sender, transmit
from weticket_wagtail.privacy.models import PolicyVersion
from weticket_wagtail.privacy.services.campaigns import CampaignEmail
email = CampaignEmail(PolicyVersion.objects.get()).email_for(
    {"email": "buyer000000@example.org", "name": "Buyer 0"}, send_after=None
)
row = {"pk": 1, "dedupe_key": email.dedupe_key, "to": email.to, "reply_to": email.reply_to,
       "subject": email.subject, "body_text": email.text, "body_html": email.html,
       "language": email.language, "attachments": []}
data = transmit.prepare(sender._build_email(row, weticket_settings.FROM_EMAIL, None)).data
print(json.dumps({"orders": Order.objects.count(), "sample": base64.b64encode(data).decode()}))
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


#: The floor's client, run in its own process like the worker (not beside the server's thread).
#: "wire" (the floor): a campaign message, as bytes, resent to each person: nothing built.
#: "built": what a plain smtplib program does for each person: build the message with the
#: standard library (the campaign's subject, text and HTML, the person's To and a Message-ID) and
#: send it.
FLOOR = """
import json, smtplib, sys, time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
host, port, count, path, mode = sys.argv[1:6]
port, count = int(port), int(count)
with open(path, "rb") as sample:
    data = sample.read()
model = message_from_bytes(data, policy=policy.default)
text = model.get_body(("plain",)).get_content()
html_part = model.get_body(("html",))
html = html_part.get_content() if html_part is not None else ""
started = time.monotonic()
smtp = smtplib.SMTP(host, port, timeout=30)
for index in range(count):
    to = f"floor{index:06d}@floor.example"
    if mode == "wire":
        smtp.sendmail(model["From"], [to], data)
        continue
    message = EmailMessage()
    message["Subject"] = model["Subject"]
    message["From"] = model["From"]
    message["To"] = to
    message["Reply-To"] = model["Reply-To"]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="floor.example")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    smtp.send_message(message)
smtp.quit()
print(json.dumps({"seconds": time.monotonic() - started}))
"""


def log(message: str) -> None:
    print(f"[policy_fanout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class CountingHandler:
    """An SMTP handler that keeps only who received a message, and when the last one came."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.count = 0
        self.last_at = 0.0
        self.sample = b""  # the first message, as the floor's model
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received.update(envelope.rcpt_tos)
            self.count += 1
            self.last_at = time.time()
            if not self.sample:
                self.sample = envelope.original_content or envelope.content
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.count = 0
            self.last_at = 0.0
            self.sample = b""


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for_file(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start; see its log")
        time.sleep(0.1)


def delete_keys(broker: redis.Redis, prefix: str) -> int:
    """Delete the keys this run's worker and producers wrote (and only those)."""
    deleted = 0
    for key in broker.scan_iter(match=f"{prefix}*", count=1000):
        deleted += broker.delete(key)
    return deleted


def run_floor(port: int, count: int, sample: bytes, mode: str) -> float:
    """Seconds that plain smtplib takes for ``count`` messages like ``sample`` (see FLOOR)."""
    with tempfile.NamedTemporaryFile(prefix="policy_fanout_sample_", suffix=".eml") as file:
        file.write(sample)
        file.flush()
        result = subprocess.run(
            [str(PYTHON), "-c", FLOOR, HOST, str(port), str(count), file.name, mode],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    return last_json_line(result.stdout)["seconds"]


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
    parser.add_argument("--no-floor", action="store_true", help="skip the plain smtplib floor")
    args = parser.parse_args()
    if args.recipients < 2:
        parser.error("--recipients must be at least 2")

    database = f"weticket_fanout_{os.getpid()}"
    keyprefix = f"policy_fanout_{os.getpid()}_{secrets.token_hex(4)}:"
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
        BENCH_REDIS_KEYPREFIX=keyprefix,
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
        log(f"creating database {database}; Redis keys prefixed {keyprefix!r}")
        create_database(database)
        manage({**env, "CELERY_BROKER_URL": ""}, "migrate", "--noinput", timeout=600)
        log(f"seeding {args.recipients - 1} orders and a privacy statement (version 1)")
        started = time.monotonic()
        seeded = last_json_line(
            manage({**env, "CELERY_BROKER_URL": ""}, "shell", timeout=1200, stdin=SEED)
        )
        log(f"seeded in {time.monotonic() - started:.1f}s")
        controller.start()
        floors: list[float] = []
        if not args.no_floor:
            log(f"timing the smtplib floor before the campaign ({args.recipients} messages)")
            sample = base64.b64decode(seeded["sample"])
            floors.append(run_floor(controller.port, args.recipients, sample, "wire"))
            handler.reset()
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
        rate = handler.count / seconds
        result = {
            "recipients": len(expected),
            "seconds": round(seconds, 2),
            "messages_per_s": round(rate, 1),
            "duplicates": duplicates,
            "missing": missing,
        }
        if not args.no_floor:
            stop_worker(worker)
            sent = handler.count  # the sink goes on counting the floor's messages
            log(f"campaign at {rate:.1f}/s; timing the smtplib floor again ({sent} messages)")
            floors.append(run_floor(controller.port, sent, handler.sample, "wire"))
            floor_rate = (args.recipients + sent) / sum(floors)
            built_rate = sent / run_floor(controller.port, sent, handler.sample, "built")
            result.update(
                floor_seconds=[round(seconds, 2) for seconds in floors],
                floor_messages_per_s=round(floor_rate, 1),
                ratio_to_floor=round(rate / floor_rate, 3),
                built_floor_messages_per_s=round(built_rate, 1),
                ratio_to_built_floor=round(rate / built_rate, 3),
            )
        print(json.dumps(result), flush=True)
        return 0 if duplicates == 0 and missing == 0 and unexpected == 0 else 1
    finally:
        if worker is not None:
            stop_worker(worker)
        with contextlib.suppress(Exception):
            controller.stop()
        with contextlib.suppress(Exception):
            log(f"deleted {delete_keys(broker, keyprefix)} Redis keys of this run")
        with contextlib.suppress(Exception):
            drop_database(database)
        ready_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
