"""The outbox: queued with the change, sent after the commit, once, to a real SMTP server."""

from __future__ import annotations

import datetime
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from weticket_wagtail.mail import reports, sender, transmit
from weticket_wagtail.mail.attachments import register_attachment, unregister_attachment
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.mail.outbox import (
    Email,
    enqueue_email,
    enqueue_many,
    enqueue_templated_email,
)
from weticket_wagtail.mail.sender import (
    MAX_ATTEMPTS,
    message_id_for,
    send_due_messages,
    send_outbox_message,
)
from weticket_wagtail.tasks_runtime import run_task
from weticket_wagtail.testing import smtp as smtp_testing
from weticket_wagtail.testing.smtp import SMTPSink, free_port

smtp_sink = smtp_testing.smtp_sink  # the fixture: a real SMTP server on loopback

Status = OutboxMessage.Status
TEMPLATES_DIR = Path(__file__).parent / "templates"
TICKET = "test_ticket"


def make_ticket(code: str) -> tuple[str, bytes, str]:
    return f"ticket-{code}.txt", f"TICKET {code}".encode(), "text/plain"


@pytest.fixture
def ticket_attachment():
    register_attachment(TICKET, make_ticket)
    yield TICKET
    unregister_attachment(TICKET)


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend pointed at a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def mail_templates(settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEMPLATES_DIR]}]


def email(key: str, **overrides) -> Email:
    fields = {
        "dedupe_key": key,
        "to": f"{key.replace(':', '-').replace('@', '.')}@example.org",
        "subject": f"Subject {key}",
        "text": f"Body {key}",
    }
    return Email(**{**fields, **overrides})


def dedupe_keys(messages) -> list[str]:
    return [message["X-Weticket-Dedupe"] for message in messages]


# --- queued with the change, sent after the commit -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_email_of_a_rolled_back_transaction_is_never_sent_and_a_committed_one_is_sent_once(
    smtp_sink, ticket_attachment, settings
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        enqueue_email(email("rolled-back"))
        raise Abort

    with transaction.atomic():
        message = enqueue_email(
            Email(
                dedupe_key="order-confirmation:tok3n",
                to="buyer@example.org",
                subject="Your tickets for Rock & Roll",
                text="Plain text body",
                html="<p>HTML body</p>",
                language="en",
                topic="order_confirmation",
                object_ref="weticket_ticketing.order:42",
                attachments=[{"kind": ticket_attachment, "args": {"code": "ABC123"}}],
                reply_to="organiser@example.org",
            )
        )
        assert smtp_sink.messages == []  # nothing leaves before the commit

    [received] = smtp_sink.wait_for(1)
    assert not OutboxMessage.objects.filter(dedupe_key="rolled-back").exists()
    assert smtp_sink.envelopes == [(settings.DEFAULT_FROM_EMAIL.split("<")[1][:-1], [message.to])]
    assert received["To"] == "buyer@example.org"
    assert received["Subject"] == "Your tickets for Rock & Roll"
    assert received["Reply-To"] == "organiser@example.org"
    assert received["Message-ID"] == message_id_for(message.pk, message.dedupe_key)
    assert received["X-Weticket-Dedupe"] == "order-confirmation:tok3n"
    assert received["Content-Language"] == "en"
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Plain text body"
    assert received.get_body(preferencelist=("html",)).get_content().strip() == "<p>HTML body</p>"
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "ticket-ABC123.txt"
    assert attachment.get_content() == "TICKET ABC123"

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 1, "")
    assert message.sent_at is not None
    assert len(smtp_sink.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_dedupe_key_twice_makes_one_row_and_one_email(smtp_sink):
    with transaction.atomic():
        first = enqueue_email(email("policy:3:ann@example.org"))
        again = enqueue_email(email("policy:3:ann@example.org", subject="Other"))
        # The duplicate was a savepoint: the caller's transaction is still usable.
        assert OutboxMessage.objects.count() == 1
    later = enqueue_email(email("policy:3:ann@example.org"))

    assert first is not None
    assert again is None and later is None
    assert dedupe_keys(smtp_sink.wait_for(1)) == ["policy:3:ann@example.org"]
    assert OutboxMessage.objects.get().subject == "Subject policy:3:ann@example.org"
    assert len(smtp_sink.messages) == 1


@pytest.mark.django_db
def test_enqueue_many_skips_existing_keys_and_leaves_sending_to_the_sweep(
    smtp_sink, django_capture_on_commit_callbacks
):
    enqueue_email(email("campaign:0"), send=False)
    rows = (email(f"campaign:{i}") for i in range(3))
    with django_capture_on_commit_callbacks() as callbacks:
        attempted = enqueue_many(rows, batch_size=2)

    assert attempted == 3
    assert callbacks == []  # no task per row
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 3
    assert smtp_sink.messages == []
    assert send_due_messages() == 3
    assert sorted(dedupe_keys(smtp_sink.messages)) == ["campaign:0", "campaign:1", "campaign:2"]


# --- nothing is lost ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_smtp_down_fails_the_message_and_the_sweep_sends_it_once_when_the_server_is_back(
    smtp_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue_email(email("order-confirmation:down"))

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > timezone.now()  # backoff
    assert send_due_messages() == 0  # not due yet

    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )  # the backoff has passed
    assert send_due_messages() == 0  # still down: nothing claimed, nothing counted
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)

    with SMTPSink() as sink:
        settings.EMAIL_PORT = sink.port
        assert send_due_messages() == 1
        assert send_due_messages() == 0
        assert dedupe_keys(sink.messages) == ["order-confirmation:down"]

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


@pytest.mark.django_db
def test_unknown_attachment_kind_fails_the_message_with_a_clear_error(
    smtp_sink, django_capture_on_commit_callbacks
):
    def broken(**args):
        raise LookupError("order gone")

    register_attachment("broken_ticket", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            unknown = enqueue_email(
                email("unknown", attachments=[{"kind": "no_such_kind", "args": {}}])
            )
            failing = enqueue_email(
                email("failing", attachments=[{"kind": "broken_ticket", "args": {"n": 1}}])
            )
            fine = enqueue_email(email("fine"))
    finally:
        unregister_attachment("broken_ticket")

    unknown.refresh_from_db()
    failing.refresh_from_db()
    assert unknown.status == Status.FAILED
    assert unknown.last_error == "Unknown attachment kind 'no_such_kind': nothing registered it."
    assert failing.status == Status.FAILED
    assert "LookupError: order gone" in failing.last_error
    assert dedupe_keys(smtp_sink.messages) == [fine.dedupe_key]


@pytest.mark.django_db
def test_sweep_resends_a_message_whose_sender_died_but_not_one_whose_lease_is_live(smtp_sink):
    dead = enqueue_email(email("dead-worker"), send=False)
    alive = enqueue_email(email("live-worker"), send=False)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=dead.pk).update(
        status=Status.SENDING, attempts=1, locked_until=now - datetime.timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=alive.pk).update(
        status=Status.SENDING, attempts=1, locked_until=now + datetime.timedelta(minutes=4)
    )

    assert send_due_messages() == 1
    assert send_outbox_message(alive.pk) is False  # a live lease: not even the direct path

    assert dedupe_keys(smtp_sink.messages) == ["dead-worker"]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.attempts) == (Status.SENT, 2)
    assert (alive.status, alive.attempts) == (Status.SENDING, 1)


@pytest.mark.django_db
def test_a_sent_message_is_never_sent_again_and_a_resend_after_a_crash_keeps_its_message_id(
    smtp_sink,
):
    message = enqueue_email(email("crash"), send=False)
    assert send_outbox_message(message.pk) is True
    assert send_outbox_message(message.pk) is False
    assert send_due_messages() == 0
    assert len(smtp_sink.messages) == 1

    # A worker that died after the server accepted but before recording it left this behind:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING,
        sent_at=None,
        locked_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert send_due_messages() == 1
    first, second = smtp_sink.messages
    assert first["Message-ID"] == second["Message-ID"]


@pytest.mark.django_db
def test_a_message_abandoned_on_its_last_attempt_is_marked_failed_not_left_sending(smtp_sink):
    message = enqueue_email(email("last-attempt"), send=False)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING,
        attempts=MAX_ATTEMPTS,
        locked_until=timezone.now() - datetime.timedelta(seconds=1),
    )

    assert send_due_messages() == 0

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.next_attempt_at is None
    assert "Gave up" in message.last_error
    assert smtp_sink.messages == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_of_200_messages_exactly_once(
    require_postgres, smtp_sink, monkeypatch
):
    monkeypatch.setattr(sender, "CLAIM_BATCH", 10)  # many small claims: many chances to race
    enqueue_many(email(f"campaign:{i}") for i in range(200))
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            results.append(send_due_messages(limit=500))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    keys = dedupe_keys(smtp_sink.wait_for(200))
    assert len(keys) == 200
    assert set(keys) == {f"campaign:{i}" for i in range(200)}
    assert sum(results) == 200
    assert OutboxMessage.objects.filter(status=Status.SENT, attempts=1).count() == 200


# --- templates, dispatch, admin ----------------------------------------------------------------


@pytest.mark.django_db
def test_templated_email_renders_in_dutch_and_in_english(mail_templates):
    context = {"event": "Rock & <Roll>", "when": datetime.date(2025, 3, 14)}
    nl = enqueue_templated_email(
        Email(dedupe_key="greeting:nl", to="an@example.org", language="nl"),
        template="mailtest/greeting",
        context=context,
        send=False,
    )
    en = enqueue_templated_email(
        Email(dedupe_key="greeting:en", to="ann@example.org", language="en"),
        template="mailtest/greeting",
        context=context,
        send=False,
    )

    assert nl.subject == "[nl] Rock & <Roll> maart"
    assert nl.body_text == "nl: ja, Rock & <Roll> in maart 2025.\n"
    assert "ja, Rock &amp; &lt;Roll&gt; in maart 2025." in nl.body_html
    assert nl.language == "nl"
    assert en.subject == "[en] Rock & <Roll> March"
    assert en.body_text == "en: yes, Rock & <Roll> in March 2025.\n"
    assert "yes, Rock &amp; &lt;Roll&gt; in March 2025." in en.body_html


@pytest.mark.django_db
def test_templated_email_without_an_html_template_is_text_only(mail_templates):
    message = enqueue_templated_email(
        Email(dedupe_key="textonly", to="an@example.org", language="nl"),
        template="mailtest/textonly",
        context={"event": "Jazz"},
        send=False,
    )
    assert (message.subject, message.body_text, message.body_html) == (
        "Text only for Jazz",
        "Only text: Jazz\n",
        "",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broker_url", "eager", "expected"),
    [
        ("redis://127.0.0.1:6379/0", False, "delay"),
        ("", False, "apply"),
        ("redis://x", True, "apply"),
    ],
)
def test_run_task_starts_work_only_after_commit(
    settings, django_capture_on_commit_callbacks, broker_url, eager, expected
):
    settings.WETICKET = {**settings.WETICKET, "BROKER_URL": broker_url}
    calls = []
    task = SimpleNamespace(
        name="fake",
        app=SimpleNamespace(conf=SimpleNamespace(task_always_eager=eager)),
        delay=lambda *args: calls.append(("delay", args)),
        apply=lambda args: calls.append(("apply", tuple(args))) or SimpleNamespace(failed=bool),
    )

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            run_task(task, 1)
            raise RuntimeError
        with transaction.atomic():
            run_task(task, 2)
            assert calls == []

    assert calls == [(expected, (2,))]


@pytest.mark.django_db
def test_outbox_admin_is_read_only_and_for_superusers_only(client):
    message = enqueue_email(email("admin-view", subject="Seen by the superuser"), send=False)
    user_model = get_user_model()
    editor = user_model.objects.create_user("editor", "editor@example.org", "pw")
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    admin = user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    index_url = reverse("weticket_outbox:index")
    inspect_url = reverse("weticket_outbox:inspect", args=[message.pk])

    client.force_login(editor)
    assert client.get(index_url).status_code in (302, 403)
    assert client.get(inspect_url).status_code in (302, 403)
    assert index_url not in client.get(reverse("wagtailadmin_home")).content.decode()

    client.force_login(admin)
    assert index_url in client.get(reverse("wagtailadmin_home")).content.decode()
    listing = client.get(index_url, {"status": "pending", "q": "admin-view"})
    assert listing.status_code == 200
    assert "Seen by the superuser" in listing.content.decode()
    inspect = client.get(inspect_url)
    assert inspect.status_code == 200
    assert "admin-view" in inspect.content.decode()
    for name in ("add", "edit", "delete", "copy"):
        with pytest.raises(NoReverseMatch):
            reverse(f"weticket_outbox:{name}", args=[] if name == "add" else [message.pk])


# --- one value type for an email, and what other apps may read ----------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"dedupe_key": ""}, "needs a dedupe key"),
        ({"to": "  "}, "has no recipient"),
        ({"to": "ann@example.org\r\nBcc: all@example.org"}, "to of email 'k' contains a line"),
        ({"reply_to": "a@example.org\nb@example.org"}, "reply_to of email 'k' contains a line"),
        ({"topic": "t" * 65}, "topic of email 'k' is longer than 64"),
        ({"attachments": [{"args": {}}]}, "must be {'kind': str, 'args': dict}"),
    ],
)
def test_an_email_is_checked_when_it_is_made(fields, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        Email(**{"dedupe_key": "k", "to": "ann@example.org", "text": "Hi", **fields})


def test_an_email_folds_its_subject_and_shortens_it_to_fit():
    made = Email(dedupe_key="k", to=" ann@example.org ", subject="A\nlong " + "x" * 300)
    assert made.to == "ann@example.org"
    assert "\n" not in made.subject and len(made.subject) == 255
    assert made.subject.endswith("…")


@pytest.mark.django_db
def test_an_email_for_later_is_left_to_the_sweep(smtp_sink, django_capture_on_commit_callbacks):
    later = timezone.now() + datetime.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue_email(email("later", send_after=later))

    assert callbacks == []
    assert send_due_messages() == 0
    assert OutboxMessage.objects.get(pk=message.pk).next_attempt_at == later
    assert smtp_sink.messages == []


@pytest.mark.django_db
def test_reports_tell_the_emails_about_a_record_and_their_states(smtp_sink):
    ref = "weticket_ticketing.order:7"
    first = enqueue_email(email("about:1", object_ref=ref, topic="order_confirmation"), send=False)
    enqueue_email(email("about:2", object_ref=ref), send=False)
    enqueue_email(email("elsewhere", object_ref="weticket_ticketing.order:8"), send=False)
    assert send_outbox_message(first.pk) is True
    OutboxMessage.objects.filter(dedupe_key="about:2").update(status=Status.FAILED)

    records = reports.messages_about(ref)
    assert [(r.to, r.topic, r.status, r.attempts) for r in records] == [
        (first.to, "order_confirmation", Status.SENT, 1),
        ("about-2@example.org", "", Status.FAILED, 0),
    ]
    assert records[0].sent_at is not None and records[0].get_status_display() == "Sent"
    assert reports.messages_about("") == []
    assert reports.status_counts(ref) == reports.StatusCounts(sent=1, failed=1)
    assert reports.status_counts(ref).total == 2


@pytest.mark.parametrize(
    "subject",
    [
        "Your tickets",
        "Je tickets voor “Rock & Roll” — zaterdag",  # non-ASCII: encoded words
        "A subject long enough that its header has to be folded over more than one line " * 2,
    ],
)
def test_the_sender_serialises_a_message_exactly_as_the_standard_library_does(subject):
    email = EmailMultiAlternatives(
        subject=subject,
        body="Tekst met één regel.\n.leading dot\n",
        from_email="WeTicket demo <tickets@example.org>",
        to=["Ann Élise <ann@example.org>"],
        reply_to=["privacy@example.org"],
        headers={"Message-ID": "<x@example.org>", "X-Weticket-Dedupe": "policy:1:" + "k" * 80},
    )
    email.attach_alternative("<p>HTML één</p>", "text/html")
    email.attach("ticket.txt", b"TICKET", "text/plain")
    message = email.message()
    for part in message.walk():
        if part.is_multipart():
            part.set_boundary(f"=_{part.get_content_subtype()}")

    assert transmit.message_bytes(message) == message.as_bytes(linesep="\r\n")
