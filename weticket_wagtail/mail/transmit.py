"""One SMTP transaction per outbox row, recorded in step with the message's final ``.``.

The module docstring of :mod:`weticket_wagtail.mail.sender` explains the guarantee and its
residual window; :func:`weticket_wagtail.mail.sender._deliver` runs the steps. Here is only the
mechanics: Django's SMTP backend opens the connection (TLS, login, timeouts), and we drive its
``smtplib.SMTP`` object ourselves, in steps, so that the ``.`` and the database ``COMMIT`` can be
written back to back and the sender can work on the next message while both are answered:

* :func:`prepare` turns an email into the bytes and addresses of an SMTP transaction;
* :func:`send_envelope` (``MAIL``, ``RCPT``), :func:`hand_over` (``DATA``, the message and its
  ``.``) and :func:`read_answer` (the server's answer to the ``.``).

Two ways to record rows as sent (a *recorder*, one per batch, chosen by :func:`recorder_for`):

* :class:`RecordWithDot`: PostgreSQL through psycopg 3, in autocommit mode. A transaction
  updates the row to ``sent`` before ``DATA``; its ``COMMIT`` is written right after the
  message's final ``.`` without waiting for the answer (libpq's ``send_query``), in one query
  with the ``BEGIN`` and ``UPDATE`` that take the next row, and the answers are read when the
  next row's take is needed: one database round trip per message, overlapped with the SMTP
  conversation.
* :class:`RecordAfterAccept`: anything else (SQLite, a caller's open transaction, a backend that
  is not SMTP). The row is marked sent after the server's ``250``.
"""

from __future__ import annotations

import re
import secrets
import select
import smtplib
import socket
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from functools import cached_property, lru_cache
from io import BytesIO
from typing import Any, NamedTuple

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
# Takes a claimed row for this attempt; committed with the message's final dot. A simple-protocol
# query may hold several statements: the previous row's COMMIT, then BEGIN and this UPDATE travel
# in one round trip (the values are bound as literals by psycopg's sql module). ``sent_at`` is
# the time the take began (PostgreSQL's transaction timestamp).
_TAKE_SQL = (
    'BEGIN; UPDATE {table} SET "status" = {sent}, "sent_at" = CURRENT_TIMESTAMP, '
    '"locked_until" = NULL, '
    '"next_attempt_at" = NULL '
    'WHERE "id" = {pk} AND "claim_token" = {token} AND "status" = {sending}'
)
#: Seconds to wait for PostgreSQL's answer to a pipelined query before giving up on it.
COMMIT_TIMEOUT = 30.0


class UnclearDelivery(OSError):
    """The connection broke after the ``.`` was written: the server may have the message."""


class Prepared(NamedTuple):
    """What an SMTP transaction sends: the envelope's addresses and the message's bytes."""

    from_address: str
    recipients: list[str]
    data: bytes


def smtp_session(backend: Any) -> smtplib.SMTP | None:
    """The open ``smtplib.SMTP`` of Django's SMTP ``backend``, or ``None`` for other backends."""
    if isinstance(backend, SMTPBackend) and isinstance(backend.connection, smtplib.SMTP):
        smtp = backend.connection
        if smtp.sock is not None and smtp.sock.family in (socket.AF_INET, socket.AF_INET6):
            # Commands are request and answer; never hold a small write back (Nagle).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return smtp
    return None


def prepare(email: EmailMessage) -> Prepared:
    """The addresses and bytes (CRLF line ends) of ``email``, ready for :func:`send_envelope`."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    message = email.message()
    for part in message.walk():
        if part.is_multipart() and part.get_boundary() is None:
            # 128 random bits cannot occur in the content by chance; the standard library's
            # own choice is checked against the whole text with a regex compiled per message.
            part.set_boundary(f"=_{secrets.token_hex(16)}")
    return Prepared(
        from_address=_sanitized(email.from_email, encoding),
        recipients=[sanitize_address(address, encoding) for address in email.recipients()],
        data=message_bytes(message),
    )


class _Compat32ShortLines(Compat32):
    """Django's policy (``compat32``), without folding what needs no folding.

    Folding a header through ``email.header.Header`` is the largest single cost of turning a
    message into bytes; an ASCII header that fits on its line comes out of it unchanged.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= self.max_line_length
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SHORT_LINES = _Compat32ShortLines(linesep="\r\n")


def message_bytes(message: Message) -> bytes:
    """``message.as_bytes(linesep="\\r\\n")``, the same bytes, in less time."""
    output = BytesIO()
    BytesGenerator(output, mangle_from_=False, policy=_SHORT_LINES).flatten(message)
    return output.getvalue()


@lru_cache(maxsize=16)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def send_envelope(smtp: smtplib.SMTP, message: Prepared) -> None:
    """``MAIL`` and ``RCPT``: raise the ``smtplib`` error of a refused sender or recipients.

    After a refusal the SMTP transaction is reset (or the connection closed, after a 421).
    """
    smtp.ehlo_or_helo_if_needed()
    data = message.data
    options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(message.from_address, options)
    if code != 250:
        reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, message.from_address)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in message.recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(message.recipients):
        reset(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)


def hand_over(smtp: smtplib.SMTP, message: Prepared) -> None:
    """``DATA``, then the message and its final ``.`` in one write; the answer is not read.

    The caller writes the ``COMMIT`` right after this returns (the two writes that decide), and
    then reads the answer with :func:`read_answer`.
    """
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = _LEADING_DOT.sub(b"..", message.data)
    if not body.endswith(_CRLF):
        body += _CRLF
    # The body and its final dot in one write (a separate small write would wait for the
    # server's delayed ACK).
    smtp.send(body + b"." + _CRLF)


def read_answer(smtp: smtplib.SMTP) -> None:
    """Read the server's answer to the ``.``; raise ``SMTPDataError`` unless it is ``250``.

    Raises :class:`UnclearDelivery` when the connection broke before the answer came.
    """
    try:
        code, reply = smtp.getreply()
    except OSError as exc:
        raise UnclearDelivery(
            f"The connection broke after the message was handed over: {exc}"
        ) from exc
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def reset(smtp: smtplib.SMTP, code: int) -> None:
    """Abandon the SMTP transaction (``RSET``; after a 421 the server has gone: close)."""
    if code == 421:
        smtp.close()
    else:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass


def recorder_for(token: str) -> RecordAfterAccept:
    """The recorder for rows claimed with ``token`` on this database connection."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
        and _is_psycopg3()
    ):
        return RecordWithDot(token)
    return RecordAfterAccept(token)


def _is_psycopg3() -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


class RecordAfterAccept:
    """Marks a row sent after the server's ``250``: a duplicate window of one round trip.

    A recorder is used row after row: :meth:`take` before ``DATA``, :meth:`commit_with` right
    after the ``.``, :meth:`accepted` after the ``250``; :meth:`give_back` when nothing was
    delivered after a take, and :meth:`settle` before anything else uses the database
    connection (marking a row failed) and at the end of the batch.
    """

    def __init__(self, token: str):
        self.token = token

    def take(self, pk: int) -> bool:
        """Whether row ``pk`` is still ours to send; called before ``DATA``."""
        return OutboxMessage.objects.filter(
            pk=pk, status=Status.SENDING, claim_token=self.token
        ).exists()

    def give_back(self) -> None:
        """Nothing was delivered after :meth:`take`: undo whatever it did."""

    def commit_with(self, next_pk: int | None) -> None:
        """Called right after the ``.``; ``next_pk`` is the row that will be taken next."""

    def accepted(self, pk: int) -> None:
        """The server accepted the message of row ``pk``."""
        mark_sent([pk], self.token)

    def settle(self) -> None:
        """Leave the database connection idle, with every commit written so far confirmed."""


class RecordWithDot(RecordAfterAccept):
    """Marks rows sent in transactions whose ``COMMIT`` is written right after the ``.``.

    Uses the psycopg 3 connection under Django's (``connection.connection``) directly, because
    Django's ``commit()`` waits for the answer. At most one query is in flight: ``COMMIT`` of
    the row just handed over, with ``BEGIN`` and the ``UPDATE`` that take the next row. Its
    answers are read by the next :meth:`take` (which then usually finds them there) or by
    :meth:`settle`, which also rolls back a take that is no longer wanted.
    """

    def __init__(self, token: str):
        super().__init__(token)
        connection.ensure_connection()
        self._pg = connection.connection
        self._in_flight: tuple[bool, int | None] | None = None  # (with COMMIT, pk taken)
        self._open = False  # a transaction that took a row is open

    def take(self, pk: int) -> bool:
        if self._in_flight is None or self._in_flight[1] != pk:
            self.settle()
            self._send(commit=False, take=pk)
        taken = self._collect()
        if not taken:
            self.give_back()
        return taken

    def give_back(self) -> None:
        if self._in_flight is not None:
            self._collect()
        if self._open:
            self._open = False
            self._pg.execute("ROLLBACK")

    def commit_with(self, next_pk: int | None) -> None:
        self._send(commit=True, take=next_pk)

    def accepted(self, pk: int) -> None:
        pass  # committed with the dot

    def settle(self) -> None:
        self.give_back()

    def _send(self, *, commit: bool, take: int | None) -> None:
        query = b"COMMIT" if commit else b""
        if take is not None:
            query += (b"; " if commit else b"") + self._take_sql % int(take)
        pgconn = self._pg.pgconn
        pgconn.send_query(query)
        while pgconn.flush():
            select.select([], [pgconn.socket], [], COMMIT_TIMEOUT)
        self._in_flight = (commit, take)
        self._open = take is not None

    @cached_property
    def _take_sql(self) -> bytes:
        """The take, composed once per batch; ``%d`` stands for the row's primary key."""
        from psycopg import sql

        return (
            sql.SQL(_TAKE_SQL)
            .format(
                table=sql.Identifier(OutboxMessage._meta.db_table),
                sent=sql.Literal(str(Status.SENT)),
                pk=sql.SQL("%d"),
                token=sql.Literal(self.token),
                sending=sql.Literal(str(Status.SENDING)),
            )
            .as_bytes(self._pg)
        )

    def _collect(self) -> bool:
        """Read the answers of the query in flight; return whether it took its row.

        Raises ``DatabaseError`` when its ``COMMIT`` did not commit (the row handed over before
        is then not recorded: it is sent again once its lease runs out).
        """
        commit, take = self._in_flight
        self._in_flight = None
        pgconn = self._pg.pgconn
        results = []
        while True:
            while pgconn.is_busy():
                ready, _, _ = select.select([pgconn.socket], [], [], COMMIT_TIMEOUT)
                if not ready:
                    raise DatabaseError("PostgreSQL did not answer an outbox mark in time.")
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            results.append(result)
        statuses = [result.command_status or b"" for result in results]
        expected = [b"COMMIT"] if commit else []
        if take is not None:
            expected += [b"BEGIN", b"UPDATE 0" if statuses[-1:] == [b"UPDATE 0"] else b"UPDATE 1"]
        if statuses != expected:
            self._open = False
            errors = "; ".join(
                (r.error_message or r.command_status or b"").decode(errors="replace")
                for r in results
            )
            if take is not None:
                self._pg.execute("ROLLBACK")
            raise DatabaseError(f"An outbox mark failed: {errors}")
        return take is not None and statuses[-1] == b"UPDATE 1"


def mark_sent(pks: list[int], token: str) -> int:
    """Record rows claimed with ``token`` as sent; returns how many were still ours."""
    if not pks:
        return 0
    return OutboxMessage.objects.filter(
        pk__in=pks, status=Status.SENDING, claim_token=token
    ).update(status=Status.SENT, sent_at=timezone.now(), locked_until=None, next_attempt_at=None)
