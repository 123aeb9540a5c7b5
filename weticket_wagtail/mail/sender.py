"""Sending the outbox: claiming due rows, delivering them, recording each one, retrying.

Queueing (:mod:`weticket_wagtail.mail.outbox`) promises that a row exists once per dedupe key,
with the change that caused it, and that the send task starts after the commit. Sending
promises, in short:

* **Claimed before sending.** A sender first moves a row to ``sending`` with a compare-and-set
  update and a lease; only the sender whose update matched sends it. A second sender, a replayed
  task or a concurrent sweep finds nothing to claim.
* **Nothing is lost.** A failed send is recorded (``failed``, ``last_error``, ``next_attempt_at``
  with exponential backoff) and retried by :func:`send_due_messages`; a row left in ``sending``
  by a worker that died is retried once its lease has expired.

Delivery is *at least once*, and exactly once unless a sender dies in a window of a few
microseconds. Handing a message to a mail server and recording that in the database cannot be
one atomic step, so the order of the two steps decides which failure is possible; a lost message
breaks our promises (rule 6 of ARCHITECTURE), a repeated one only annoys, so we allow repeats.
Each message is one SMTP transaction, recorded as follows (:func:`_deliver`, with the mechanics
in :mod:`.transmit`):

1. a transaction *takes* the row: ``BEGIN; UPDATE ... SET status='sent' WHERE pk=... AND
   claim_token=<ours> AND status='sending'``. It is sent to PostgreSQL together with the
   previous message's ``COMMIT`` (step 2), and its answer is read once the server has accepted
   the envelope (``MAIL``, ``RCPT``). No row means another sender owns it now: the SMTP
   transaction is reset and nothing is sent. The row stays locked;
2. ``DATA``, then the message with its terminating ``.`` in one write (the server delivers only
   once it has the ``.``), and right after it, without waiting for either answer, ``COMMIT`` to
   PostgreSQL (with step 1 of the next row); the next message is built while both answer, and
   then both answers are read. A refusal of the message (a 4xx/5xx answer to the ``.``) turns
   the row back into ``failed``.

So a message costs the four SMTP round trips any client needs and no database round trip of
its own: PostgreSQL's work, the WAL flush of each commit included, overlaps the conversation. A
row with attachments is taken on its own, once the connection is idle (making an attachment may
query the database).

A sender killed before step 2's writes leaves nothing delivered and nothing recorded: PostgreSQL
rolls the open transaction back when the connection drops, the server discards a message without
its ``.``, and the row is sent again once its lease has expired. Killed after them, both writes
are in the kernel's socket buffers, which are still delivered after the process is gone:
delivered and recorded (the next row's take, sent with that ``COMMIT``, is rolled back with the
connection). The residual window is between the two writes (a handful of Python
instructions, microseconds): a sender killed there has delivered the message without recording
it, and the message goes out a second time. The other duplicate is a connection that breaks
after the ``.`` was written and before the answer came: whether the server took the message is
unknown, so it is retried. A message the server refuses at the ``.`` is recorded sent for the
moment it takes to read that answer and undo the record; a sender killed in that moment loses
it (a refusal and a crash within the same round trips). Every copy carries the same
``Message-ID`` (from the row and its dedupe key), which lets mail servers and clients recognise
a repeat.

This protocol needs PostgreSQL in autocommit mode (it is how the tasks run) and Django's SMTP
backend. Elsewhere (SQLite, a caller's open transaction as in tests, the locmem or console
backend) a row is marked sent right after the server accepted it: the same guarantee with a
window of one database round trip.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from weticket_wagtail.conf import weticket_settings

from . import transmit
from .attachments import AttachmentError, resolve_attachment
from .models import OutboxMessage

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status

#: After this many attempts a message stays ``failed`` and is not retried automatically.
MAX_ATTEMPTS = 10
#: How long a sender holds a claimed row before another sender may assume it died.
LEASE = timedelta(minutes=5)
#: Backoff after the first failure; doubled per further failure, up to ``RETRY_MAX``.
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
#: Rows claimed per compare-and-set update in :func:`send_due_messages`.
CLAIM_BATCH = 50
#: ``last_error`` is cut to this many characters.
LAST_ERROR_MAX = 1000

# Only what building the email needs: a sweep over 100,000 rows reads nothing else.
_SEND_FIELDS = (
    "pk",
    "dedupe_key",
    "to",
    "reply_to",
    "subject",
    "body_text",
    "body_html",
    "language",
    "attachments",
    "attempts",
)
# Errors about this one message; the connection is still usable for the next.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


# --- public ----------------------------------------------------------------------------------


def message_id_for(pk: int, dedupe_key: str, from_email: str = "") -> str:
    """The ``Message-ID`` of an outbox row: the same on every attempt, unique per row."""
    digest = hashlib.sha256(f"{pk}:{dedupe_key}".encode()).hexdigest()[:40]
    domain = parseaddr(from_email or weticket_settings.FROM_EMAIL)[1].rpartition("@")[2]
    return f"<{digest}.outbox@{domain or 'localhost'}>"


def send_outbox_message(pk: int, connection: Any = None) -> bool:
    """Send the outbox row ``pk`` now, if nobody else is; return whether it was sent.

    Claims the row by compare-and-set (pending or failed, or ``sending`` with an expired lease;
    fewer than :data:`MAX_ATTEMPTS` attempts); a row that is sent, or claimed by a live sender,
    is left alone and ``False`` returned without contacting the mail server. The backoff in
    ``next_attempt_at`` is not waited for: this is the "send now" path. On a mail server or
    attachment error the row becomes ``failed`` with ``last_error`` and a backoff, and the sweep
    retries it. ``connection`` is a Django mail connection to reuse; one is opened otherwise.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    if not _claim(OutboxMessage.objects.filter(pk=pk), now, token, due_only=False):
        return False
    rows = _claimed_rows([pk], token)
    if not rows:
        return False
    connection = connection or get_connection(fail_silently=False)
    try:
        opened = connection.open()
    except Exception as exc:
        _mark_failed(rows[0], token, _describe(exc, connection))
        return False
    try:
        sent, _connection_ok = _deliver(rows, token, connection, weticket_settings.FROM_EMAIL)
    finally:
        if opened:
            connection.close()
    return sent == 1


def send_due_messages(limit: int = 500, connection: Any = None) -> int:
    """Send up to ``limit`` messages that are due, over one mail connection; return how many.

    Due means: pending or failed with ``next_attempt_at`` in the past, or ``sending`` with an
    expired lease (its sender died), and fewer than :data:`MAX_ATTEMPTS` attempts. Rows are
    claimed :data:`CLAIM_BATCH` at a time by compare-and-set, so concurrent sweeps each send
    different rows and every row goes out once. Rows whose sender died on the last allowed
    attempt are marked ``failed`` for good. If the mail server cannot be reached, nothing is
    claimed and 0 is returned; if the connection drops midway, the rows not yet tried are
    released untouched for the next sweep.
    """
    now = timezone.now()
    _give_up_abandoned(now)
    if not _due_pks(now, 1):
        return 0  # nothing to do: do not even connect
    connection = connection or get_connection(fail_silently=False)
    try:
        opened = connection.open()
    except Exception as exc:
        logger.warning("Outbox sweep cannot reach the mail server: %s", _describe(exc, connection))
        return 0
    from_email = weticket_settings.FROM_EMAIL
    sent = claimed = rounds = 0
    try:
        while claimed < limit and rounds < limit:
            rounds += 1
            now = timezone.now()
            pks = _due_pks(now, min(CLAIM_BATCH, limit - claimed))
            if not pks:
                break
            token = uuid.uuid4().hex
            if not _claim(OutboxMessage.objects.filter(pk__in=pks), now, token, due_only=True):
                continue  # another sweep claimed these first; look again
            rows = _claimed_rows(pks, token)
            claimed += len(rows)
            delivered, connection_ok = _deliver(rows, token, connection, from_email)
            sent += delivered
            if not connection_ok:
                break
    finally:
        if opened:
            connection.close()
    return sent


def due_message_pks(count: int, *, object_ref: str = "") -> list[int]:
    """Up to ``count`` rows that a sender may claim now, those whose sender died first.

    ``object_ref`` limits the answer to the emails about one record (a campaign's rows, say).
    """
    return _due_pks(timezone.now(), count, object_ref)


def next_send_at(*, object_ref: str) -> datetime | None:
    """When a sender may next take one of the unsent emails about ``object_ref``; ``None`` when
    none is left to send.

    The earliest of the times the waiting emails are due (their ``send_after`` or retry backoff;
    in the past for one that is due now) and the leases of emails being sent (by a live sender,
    or by a dead one until its lease runs out). Emails that used up their attempts are done.
    """
    rows = OutboxMessage.objects.filter(object_ref=object_ref, attempts__lt=MAX_ATTEMPTS)
    next_due = (
        rows.filter(status__in=[Status.PENDING, Status.FAILED], next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    held_until = (
        rows.filter(status=Status.SENDING)
        .order_by("locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return min((t for t in (next_due, held_until) if t is not None), default=None)


def withdraw(rows) -> int:
    """Never send the rows of the queryset ``rows`` that are not sent yet; return how many.

    For emails whose recipient asked to be forgotten: they become ``failed`` with no further
    attempt, and a sender that holds one of them loses its claim (its take finds no row).
    """
    return rows.exclude(status=Status.SENT).update(
        status=Status.FAILED,
        next_attempt_at=None,
        locked_until=None,
        attempts=MAX_ATTEMPTS,
        claim_token="",
    )


def send_outbox_messages(
    pks: Sequence[int], *, connection: Any = None, lease: timedelta | None = None
) -> int:
    """Send those of the rows ``pks`` that are due, over one mail connection; return how many.

    What a caller with its own pace uses (a campaign sends a chunk, then waits): the rows are
    claimed in one compare-and-set, with ``lease`` (default :data:`LEASE`) as the time after
    which another sender may take over a row this one has not finished, and sent as
    :func:`send_due_messages` sends. Rows that are sent, or claimed by a live sender, or waiting
    for their backoff, are left alone. If the mail server cannot be reached nothing is claimed
    and 0 is returned.
    """
    if not pks:
        return 0
    connection = connection or get_connection(fail_silently=False)
    try:
        opened = connection.open()
    except Exception as exc:
        logger.warning("Outbox cannot reach the mail server: %s", _describe(exc, connection))
        return 0
    try:
        now = timezone.now()
        token = uuid.uuid4().hex
        queryset = OutboxMessage.objects.filter(pk__in=list(pks))
        if not _claim(queryset, now, token, due_only=True, lease=lease or LEASE):
            return 0
        rows = _claimed_rows(pks, token)
        sent, _connection_ok = _deliver(rows, token, connection, weticket_settings.FROM_EMAIL)
    finally:
        if opened:
            connection.close()
    return sent


def drain_outbox(*, time_budget: float = 50.0, batch_size: int = 500) -> int:
    """Call :func:`send_due_messages` until nothing is sent or ``time_budget`` seconds passed.

    What the periodic sweep task runs, so a large campaign drains at full speed rather than
    ``batch_size`` per minute. Returns the number of messages sent.
    """
    deadline = time.monotonic() + time_budget
    total = 0
    while True:
        sent = send_due_messages(limit=batch_size)
        total += sent
        if not sent or time.monotonic() >= deadline:
            return total


# --- internals --------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _claimable(now: datetime, *, due_only: bool) -> Q:
    retryable = Q(status__in=[Status.PENDING, Status.FAILED])
    if due_only:
        retryable &= Q(next_attempt_at__lte=now)
    abandoned = Q(status=Status.SENDING, locked_until__lt=now)
    return (retryable | abandoned) & Q(attempts__lt=MAX_ATTEMPTS)


def _claim(queryset, now: datetime, token: str, *, due_only: bool, lease: timedelta = LEASE) -> int:
    """Compare-and-set: take the rows of ``queryset`` that are still claimable; return how many.

    On PostgreSQL a concurrent claimer's UPDATE waits for ours and then re-checks the condition
    against the updated row, which no longer matches; SQLite serialises writers.
    """
    return queryset.filter(_claimable(now, due_only=due_only)).update(
        status=Status.SENDING,
        locked_until=now + lease,
        attempts=F("attempts") + 1,
        claim_token=token,
    )


def _claimed_rows(pks: Sequence[int], token: str) -> list[dict[str, Any]]:
    return list(
        OutboxMessage.objects.filter(pk__in=pks, status=Status.SENDING, claim_token=token)
        .order_by("pk")
        .values(*_SEND_FIELDS)
    )


def _due_pks(now: datetime, count: int, object_ref: str = "") -> list[int]:
    """Primary keys of up to ``count`` claimable rows: abandoned ones first, then oldest due.

    Both questions are answered from the partial indexes of :class:`OutboxMessage`;
    ``object_ref`` narrows them to the rows about one record.
    """
    about = {"object_ref": object_ref} if object_ref else {}
    abandoned = list(
        OutboxMessage.objects.filter(
            status=Status.SENDING, locked_until__lt=now, attempts__lt=MAX_ATTEMPTS, **about
        )
        .order_by("locked_until")
        .values_list("pk", flat=True)[:count]
    )
    if len(abandoned) >= count:
        return abandoned
    due = OutboxMessage.objects.filter(
        status__in=[Status.PENDING, Status.FAILED],
        next_attempt_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
        **about,
    ).order_by("next_attempt_at", "pk")
    return abandoned + list(due.values_list("pk", flat=True)[: count - len(abandoned)])


def _give_up_abandoned(now: datetime) -> int:
    """Rows whose sender died on their last allowed attempt: failed for good, not stuck."""
    return OutboxMessage.objects.filter(
        status=Status.SENDING, locked_until__lt=now, attempts__gte=MAX_ATTEMPTS
    ).update(
        status=Status.FAILED,
        locked_until=None,
        next_attempt_at=None,
        last_error=(
            f"Gave up after {MAX_ATTEMPTS} attempts: the sender stopped before recording the "
            "result of the last one (it may or may not have been delivered)."
        ),
    )


def _deliver(
    rows: Sequence[dict[str, Any]], token: str, connection: Any, from_email: str
) -> tuple[int, bool]:
    """Send claimed ``rows`` over the open ``connection``; return ``(sent, connection_ok)``.

    Each row is recorded as sent in step with its own SMTP transaction (:mod:`.transmit`), so a
    sender that dies midway leaves every row it did not finish in ``sending``, to be sent again,
    and none that it delivered. An error about one message (an attachment, a refused recipient
    or message) fails that row and goes on. An error of the connection fails the row being sent
    and releases the rest unsent.

    While the server and PostgreSQL answer a message's ``.`` and ``COMMIT``, the next message is
    built, and its row's take travels with that ``COMMIT``; a row with attachments is built
    only when the database connection is idle again (making an attachment may query it).
    """
    smtp = transmit.smtp_session(connection)
    if smtp is None:
        return _deliver_with_backend(rows, token, connection, from_email), True
    recorder = transmit.recorder_for(token)
    sent = 0
    ahead: tuple[int, transmit.Prepared | str] | None = None  # the next row, built early
    try:
        for index, row in enumerate(rows):
            following = rows[index + 1] if index + 1 < len(rows) else None
            if ahead is not None and ahead[0] == row["pk"]:
                message = ahead[1]
            else:
                if row["attachments"]:
                    recorder.settle()
                message = _prepare(row, from_email, connection)
            ahead = None
            if isinstance(message, str):  # it could not be built: the error
                recorder.settle()
                _mark_failed(row, token, message)
                continue
            try:
                transmit.send_envelope(smtp, message)
                if not recorder.take(row["pk"]):
                    transmit.reset(smtp, 0)
                    continue
                try:
                    transmit.hand_over(smtp, message)
                except BaseException:
                    recorder.give_back()
                    raise
                if following is not None and not following["attachments"]:
                    recorder.commit_with(following["pk"])
                    ahead = (following["pk"], _prepare(following, from_email, connection))
                else:
                    recorder.commit_with(None)
                transmit.read_answer(smtp)
                recorder.accepted(row["pk"])
                sent += 1
            except Exception as exc:
                recorder.settle()
                _mark_failed(row, token, _describe(exc, connection))
                if isinstance(exc, OSError) and not isinstance(exc, _MESSAGE_ERRORS):
                    # smtplib's errors are OSErrors too; these concern the link
                    _release(rows[index + 1 :], token)
                    return sent, False
    finally:
        recorder.settle()
    return sent, True


def _deliver_with_backend(
    rows: Sequence[dict[str, Any]], token: str, connection: Any, from_email: str
) -> int:
    """Send through a backend that is not SMTP (locmem, console, a provider's API)."""
    sent = 0
    recorder = transmit.RecordAfterAccept(token)
    for row in rows:
        try:
            email = _build_email(row, from_email, connection)
            if not recorder.take(row["pk"]):
                continue
            if not connection.send_messages([email]):
                raise smtplib.SMTPDataError(0, b"The mail backend did not accept the message.")
        except AttachmentError as exc:
            _mark_failed(row, token, str(exc))
            continue
        except Exception as exc:
            _mark_failed(row, token, _describe(exc, connection))
            continue
        recorder.accepted(row["pk"])
        sent += 1
    return sent


def _prepare(row: Mapping[str, Any], from_email: str, connection: Any) -> transmit.Prepared | str:
    """The SMTP transaction of ``row``, or why it cannot be built (an attachment's error)."""
    try:
        return transmit.prepare(_build_email(row, from_email, connection))
    except AttachmentError as exc:
        return str(exc)
    except Exception as exc:
        return _describe(exc, connection)


def _build_email(
    row: Mapping[str, Any], from_email: str, connection: Any
) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": message_id_for(row["pk"], row["dedupe_key"], from_email),
        "X-Weticket-Dedupe": row["dedupe_key"],
    }
    if row["language"]:
        headers["Content-Language"] = row["language"]
    email = EmailMultiAlternatives(
        subject=row["subject"],
        body=row["body_text"],
        from_email=from_email,
        to=[row["to"]],
        reply_to=[row["reply_to"]] if row["reply_to"] else None,
        headers=headers,
        connection=connection,
    )
    if row["body_html"]:
        email.attach_alternative(row["body_html"], "text/html")
    for spec in row["attachments"] or ():
        email.attach(*resolve_attachment(spec))
    return email


def _mark_failed(row: Mapping[str, Any], token: str, error: str) -> None:
    attempts = row["attempts"]  # already counts this attempt
    if attempts >= MAX_ATTEMPTS:
        next_attempt_at = None
    else:
        next_attempt_at = timezone.now() + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
    # A row this attempt recorded as sent just before the server refused it is ours to undo.
    OutboxMessage.objects.filter(
        pk=row["pk"], status__in=[Status.SENDING, Status.SENT], claim_token=token
    ).update(
        status=Status.FAILED,
        sent_at=None,
        last_error=error[:LAST_ERROR_MAX],
        locked_until=None,
        next_attempt_at=next_attempt_at,
    )
    logger.warning("Outbox message %s failed (attempt %s): %s", row["pk"], attempts, error)


def _release(rows: Sequence[dict[str, Any]], token: str) -> None:
    """Undo the claim of rows that were not tried: their attempt does not count."""
    if not rows:
        return
    OutboxMessage.objects.filter(
        pk__in=[row["pk"] for row in rows], status=Status.SENDING, claim_token=token
    ).update(
        status=Case(When(attempts__gt=1, then=Value(Status.FAILED)), default=Value(Status.PENDING)),
        attempts=F("attempts") - 1,
        locked_until=None,
    )


def _describe(exc: BaseException, connection: Any) -> str:
    """A one-line description of ``exc`` for ``last_error``: no password, limited length."""
    text = _one_line(f"{type(exc).__name__}: {exc}")
    password = getattr(connection, "password", "") or ""
    if password:
        text = text.replace(password, "***")
    return text[:LAST_ERROR_MAX]
