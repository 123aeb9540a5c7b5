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

from weticket_wagtail.mail import services, transmit
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.mail.services import enqueue_email, send_due_messages
from weticket_wagtail.testing.smtp import free_port

Status = OutboxMessage.Status
pytestmark = [pytest.mark.django_db(transaction=True)]


class SenderDied(BaseException):
    """Stands for SIGKILL: nothing in the sender catches it."""


def queue(count: int) -> list[OutboxMessage]:
    return [
        enqueue_email(
            dedupe_key=f"policy:1:p{i}@example.org",
            to=f"p{i}@example.org",
            subject="Our privacy statement has changed",
            text="Text",
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
    original = transmit.CommitWithDot.commit_after_dot

    def spy(mark):
        commits.append(mark.pk)
        return original(mark)

    monkeypatch.setattr(transmit.CommitWithDot, "commit_after_dot", spy)
    messages = queue(5)

    assert send_due_messages() == 5

    assert sorted(commits) == sorted(message.pk for message in messages)
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
    [message] = queue(1)
    services._claim(
        OutboxMessage.objects.filter(pk=message.pk), timezone.now(), "a" * 32, due_only=True
    )
    rows = services._claimed_rows([message.pk], "a" * 32)
    OutboxMessage.objects.filter(pk=message.pk).update(claim_token="b" * 32)  # lease ran out
    connection = services.get_connection(fail_silently=False)
    connection.open()
    try:
        sent, connection_ok = services._deliver(rows, "a" * 32, connection, "from@example.org")
    finally:
        connection.close()

    assert (sent, connection_ok) == (0, True)
    assert smtp_sink.count == 0
    message.refresh_from_db()
    assert (message.status, message.claim_token) == (Status.SENDING, "b" * 32)


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
        [message] = queue(1)
        assert send_due_messages() == 0
        message.refresh_from_db()
        assert (message.status, message.sent_at) == (Status.FAILED, None)
        assert "554" in message.last_error
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert send_due_messages() == 1
    finally:
        controller.stop()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert handler.accepted == [message.to]
