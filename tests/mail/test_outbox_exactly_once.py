"""The outbox records each message in step with its final dot, so a dying sender repeats nothing.

These tests drive the protocol of :mod:`weticket_wagtail.mail.transmit` against a real SMTP
server on loopback and PostgreSQL outside a transaction, as a worker runs it. The real thing, a
Celery worker killed with SIGKILL in the middle of a campaign, is in
``tests/privacy/test_worker_killed.py``.
"""

from __future__ import annotations

import datetime
import smtplib

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from weticket_wagtail.mail import sender, transmit
from weticket_wagtail.mail.attachments import register_attachment, unregister_attachment
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.mail.outbox import Email, enqueue_email
from weticket_wagtail.mail.sender import send_due_messages
from weticket_wagtail.testing.smtp import free_port

Status = OutboxMessage.Status
pytestmark = [pytest.mark.django_db(transaction=True)]


class SenderDied(BaseException):
    """Stands for SIGKILL: nothing in the sender catches it."""


def queue(count: int) -> list[OutboxMessage]:
    return [
        enqueue_email(
            Email(
                dedupe_key=f"policy:1:p{i}@example.org",
                to=f"p{i}@example.org",
                subject="Our privacy statement has changed",
                text="Text",
            ),
            send=False,
        )
        for i in range(count)
    ]


def expire_leases() -> None:
    OutboxMessage.objects.filter(status=Status.SENDING).update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_on_postgresql_each_message_commits_its_record_together_with_its_final_dot(
    require_postgres, smtp_sink, monkeypatch
):
    commits = []
    original = transmit.RecordWithDot.commit_with

    def spy(recorder, next_pk):
        # What is sent: the COMMIT of the row just handed over, and the take of the next one.
        commits.append(next_pk)
        return original(recorder, next_pk)

    monkeypatch.setattr(transmit.RecordWithDot, "commit_with", spy)
    messages = queue(5)

    assert send_due_messages() == 5

    pks = sorted(message.pk for message in messages)
    assert commits == [*pks[1:], None]  # one commit per message, each taking the next row
    assert OutboxMessage.objects.filter(status=Status.SENT, attempts=1).count() == 5
    assert sorted(to for _f, [to] in smtp_sink.envelopes) == sorted(m.to for m in messages)


def test_a_sender_that_dies_before_the_final_dot_delivers_nothing_and_it_is_sent_once_later(
    require_postgres, smtp_sink, monkeypatch
):
    first, second = queue(2)
    real_send = smtplib.SMTP.send

    def die_at_the_dot(self, data):
        if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
            self.close()  # the kernel closes a killed process's sockets
            raise SenderDied
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", die_at_the_dot)
    with pytest.raises(SenderDied):
        send_due_messages()
    monkeypatch.undo()

    # The body went out without its dot: the server discarded it; the record was rolled back.
    assert smtp_sink.count == 0
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENDING}
    assert send_due_messages() == 0  # a live lease: nobody takes over yet
    expire_leases()
    assert send_due_messages() == 2
    assert sorted(to for _f, [to] in smtp_sink.envelopes) == sorted([first.to, second.to])


def test_a_row_taken_over_by_another_sender_is_not_sent_by_the_first(require_postgres, smtp_sink):
    # The middle row's take travels with the first row's COMMIT, and finds the row gone.
    first, taken_over, last = queue(3)
    pks = [first.pk, taken_over.pk, last.pk]
    sender._claim(OutboxMessage.objects.filter(pk__in=pks), timezone.now(), "a" * 32, due_only=True)
    rows = sender._claimed_rows(pks, "a" * 32)
    OutboxMessage.objects.filter(pk=taken_over.pk).update(claim_token="b" * 32)  # lease ran out
    connection = sender.get_connection(fail_silently=False)
    connection.open()
    try:
        sent, connection_ok = sender._deliver(rows, "a" * 32, connection, "from@example.org")
    finally:
        connection.close()

    assert (sent, connection_ok) == (2, True)
    assert sorted(to for _f, [to] in smtp_sink.envelopes) == sorted([first.to, last.to])
    taken_over.refresh_from_db()
    assert (taken_over.status, taken_over.claim_token) == (Status.SENDING, "b" * 32)
    assert OutboxMessage.objects.filter(pk__in=[first.pk, last.pk], status=Status.SENT).count() == 2


class RefuseFirst:
    """An SMTP handler that refuses the first message at its final dot, then accepts."""

    def __init__(self):
        self.accepted: list[str] = []
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if not self.refused:
            self.refused += 1
            return "554 5.7.1 Message rejected"
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


def test_a_message_refused_at_the_final_dot_is_failed_and_sent_once_on_retry(
    require_postgres, settings
):
    handler = RefuseFirst()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        # The refused message was recorded sent with its dot, and the next row taken with
        # that COMMIT: the record is undone, the next two are sent as if nothing happened.
        message, *others = queue(3)
        assert send_due_messages() == 2
        message.refresh_from_db()
        assert (message.status, message.sent_at) == (Status.FAILED, None)
        assert "554" in message.last_error
        assert handler.accepted == [other.to for other in others]
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert send_due_messages() == 1
    finally:
        controller.stop()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert handler.accepted == [*(other.to for other in others), message.to]
    assert OutboxMessage.objects.filter(status=Status.SENT, attempts=1).count() == 2


def test_attachments_that_query_the_database_are_made_between_pipelined_marks(
    require_postgres, smtp_sink
):
    """A row with attachments is built only once the connection is idle: making the attachment
    may query the database, which must not run inside another row's open take."""

    def ticket_of(pk):
        row = OutboxMessage.objects.values("to", "status").get(pk=pk)
        return "ticket.txt", f"{row['to']} {row['status']}".encode(), "text/plain"

    register_attachment("db_ticket", ticket_of)
    try:
        plain = queue(1)[0]
        holder = enqueue_email(
            Email(dedupe_key="with-ticket", to="holder@example.org", subject="S", text="T"),
            send=False,
        )
        OutboxMessage.objects.filter(pk=holder.pk).update(
            attachments=[{"kind": "db_ticket", "args": {"pk": holder.pk}}]
        )
        broken = enqueue_email(
            Email(
                dedupe_key="broken",
                to="broken@example.org",
                subject="S",
                text="T",
                attachments=[{"kind": "nothing_registered", "args": {}}],
            ),
            send=False,
        )
        after = enqueue_email(
            Email(dedupe_key="after", to="after@example.org", subject="S", text="T"), send=False
        )
        assert send_due_messages() == 3
    finally:
        unregister_attachment("db_ticket")

    by_to = {message["To"]: message for message in smtp_sink.messages}
    assert sorted(by_to) == sorted([plain.to, holder.to, after.to])
    [attachment] = by_to[holder.to].iter_attachments()
    assert attachment.get_content() == "holder@example.org sending"
    broken.refresh_from_db()
    assert broken.status == Status.FAILED and "nothing_registered" in broken.last_error
    assert OutboxMessage.objects.filter(status=Status.SENT, attempts=1).count() == 3
