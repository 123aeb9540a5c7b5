"""One SMTP transaction per outbox row, recorded in step with the message's final ``.``.

:func:`transmit` is what :mod:`weticket_wagtail.mail.services` calls for every claimed row; the
module docstring of ``services`` explains the guarantee and its residual window. Here is only the
mechanics: Django's SMTP backend opens the connection (TLS, login, timeouts), and we drive its
``smtplib.SMTP`` object ourselves so that the ``.`` and the database ``COMMIT`` can be written
back to back.

Two ways to record a row as sent (a *mark*), chosen per call by :func:`mark_for`:

* :class:`CommitWithDot`: PostgreSQL through psycopg 3, in autocommit mode. A transaction
  updates the row to ``sent`` before ``DATA``; its ``COMMIT`` is written right after the
  message's final ``.`` without waiting for the answer (libpq's ``send_query``), and the
  answer is read after the server's.
* :class:`MarkAfterAccept`: anything else (SQLite, a caller's open transaction, a backend that
  is not SMTP). The row is marked sent after the server's ``250``.
"""

from __future__ import annotations

import re
import select
import smtplib
import socket
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import OutboxMessage

Status = OutboxMessage.Status

_CRLF = b"\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")
# Takes a claimed row for this attempt; committed with the message's final dot.
# Opens the transaction and takes the row in one round trip (a simple-protocol query may hold
# several statements; the values are bound as literals by psycopg's sql module).
_TAKE_SQL = (
    'BEGIN; UPDATE {table} SET "status" = {sent}, "sent_at" = {now}, "locked_until" = NULL, '
    '"next_attempt_at" = NULL '
    'WHERE "id" = {pk} AND "claim_token" = {token} AND "status" = {sending}'
)
#: Seconds to wait for PostgreSQL's answer to a pipelined COMMIT before giving up on it.
COMMIT_TIMEOUT = 30.0


class UnclearDelivery(OSError):
    """The connection broke after the ``.`` was written: the server may have the message."""


def smtp_session(backend: Any) -> smtplib.SMTP | None:
    """The open ``smtplib.SMTP`` of Django's SMTP ``backend``, or ``None`` for other backends."""
    if isinstance(backend, SMTPBackend) and isinstance(backend.connection, smtplib.SMTP):
        smtp = backend.connection
        if smtp.sock is not None and smtp.sock.family in (socket.AF_INET, socket.AF_INET6):
            # Commands are request and answer; never hold a small write back (Nagle).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return smtp
    return None


def mark_for(pk: int, token: str) -> MarkAfterAccept:
    """The mark that records row ``pk`` (claimed with ``token``) as sent on this connection."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
        and _is_psycopg3()
    ):
        return CommitWithDot(pk, token)
    return MarkAfterAccept(pk, token)


def _is_psycopg3() -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def transmit(smtp: smtplib.SMTP, email: EmailMessage, mark: MarkAfterAccept) -> bool:
    """Send ``email`` over ``smtp`` as one SMTP transaction, recorded as sent by ``mark``.

    Returns ``True`` when the server accepted the message and the row is recorded as sent,
    ``False`` when the row is no longer ours (nothing was sent). Raises the ``smtplib`` error of a
    refused sender, recipient or message (the row is then still ``sending``, or back from
    ``sent`` when the ``.`` was refused: the caller marks it failed), ``UnclearDelivery`` when
    the connection broke after the ``.``, and ``OSError`` for a connection that broke before.
    """
    encoding = email.encoding or settings.DEFAULT_CHARSET
    from_address = sanitize_address(email.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in email.recipients()]
    data = email.message().as_bytes(linesep="\r\n")
    smtp.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(from_address, options)
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, from_address)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)

    if not mark.take():
        _abandon(smtp, 0)
        return False
    try:
        code, reply = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = _LEADING_DOT.sub(b"..", data)
        if not body.endswith(_CRLF):
            body += _CRLF
        # The body and its final dot in one write (a separate small write would wait for the
        # server's delayed ACK), and right after it the COMMIT: the two writes that decide.
        smtp.send(body + b"." + _CRLF)
    except BaseException:
        mark.give_back()
        raise
    mark.commit_after_dot()
    try:
        code, reply = smtp.getreply()
    except OSError as exc:
        mark.settle()
        raise UnclearDelivery(
            f"The connection broke after the message was handed over: {exc}"
        ) from exc
    mark.settle()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    mark.after_accept()
    return True


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    if code == 421:
        smtp.close()
    else:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass


class MarkAfterAccept:
    """Marks the row sent after the server's ``250``: a duplicate window of one round trip."""

    def __init__(self, pk: int, token: str):
        self.pk = pk
        self.token = token

    def take(self) -> bool:
        """Whether the row is still ours to send; called before ``DATA``."""
        return OutboxMessage.objects.filter(
            pk=self.pk, status=Status.SENDING, claim_token=self.token
        ).exists()

    def give_back(self) -> None:
        """Nothing was delivered after :meth:`take`: undo whatever it did."""

    def commit_after_dot(self) -> None:
        """Called right after the ``.`` was written."""

    def settle(self) -> None:
        """Called once the server's answer to the ``.`` was read (or could not be)."""

    def after_accept(self) -> None:
        """The server accepted the message."""
        mark_sent([self.pk], self.token)


class CommitWithDot(MarkAfterAccept):
    """Marks the row sent in a transaction whose ``COMMIT`` is written right after the ``.``.

    Uses the psycopg 3 connection under Django's (``connection.connection``) directly, because
    Django's ``commit()`` waits for the answer. The connection is back to idle when
    :meth:`settle` or :meth:`give_back` returns.
    """

    def __init__(self, pk: int, token: str):
        super().__init__(pk, token)
        self._pg = None
        self._open = False
        self._committing = False

    def take(self) -> bool:
        connection.ensure_connection()
        self._pg = connection.connection
        table = OutboxMessage._meta.db_table
        from psycopg import sql

        query = sql.SQL(_TAKE_SQL).format(
            table=sql.Identifier(table),
            sent=sql.Literal(str(Status.SENT)),
            now=sql.Literal(timezone.now()),
            pk=sql.Literal(int(self.pk)),
            token=sql.Literal(self.token),
            sending=sql.Literal(str(Status.SENDING)),
        )
        try:
            with self._pg.cursor() as cursor:
                self._open = True
                cursor.execute(query)
                cursor.nextset()  # from BEGIN's result to the UPDATE's
                taken = cursor.rowcount == 1
        except BaseException:
            self.give_back()
            raise
        if not taken:
            self.give_back()
        return taken

    def give_back(self) -> None:
        if self._open:
            self._open = False
            self._pg.execute("ROLLBACK")

    def commit_after_dot(self) -> None:
        pgconn = self._pg.pgconn
        pgconn.send_query(b"COMMIT")
        while pgconn.flush():
            select.select([], [pgconn.socket], [], COMMIT_TIMEOUT)
        self._open = False
        self._committing = True

    def settle(self) -> None:
        if not self._committing:
            return
        self._committing = False
        pgconn = self._pg.pgconn
        results = []
        while True:
            while pgconn.is_busy():
                ready, _, _ = select.select([pgconn.socket], [], [], COMMIT_TIMEOUT)
                if not ready:
                    raise DatabaseError("PostgreSQL did not answer the COMMIT of an outbox mark.")
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            results.append(result)
        if [r.command_status for r in results] != [b"COMMIT"]:
            errors = "; ".join(
                (r.error_message or r.command_status or b"").decode(errors="replace")
                for r in results
            )
            raise DatabaseError(f"The outbox mark was not committed: {errors}")

    def after_accept(self) -> None:
        pass  # committed with the dot


def mark_sent(pks: list[int], token: str) -> int:
    """Record rows claimed with ``token`` as sent; returns how many were still ours."""
    if not pks:
        return 0
    return OutboxMessage.objects.filter(
        pk__in=pks, status=Status.SENDING, claim_token=token
    ).update(status=Status.SENT, sent_at=timezone.now(), locked_until=None, next_attempt_at=None)
