"""Queueing email in the outbox: one :class:`Email`, one row, in the caller's transaction.

Guarantees of queueing (sending has its own, in :mod:`weticket_wagtail.mail.sender`):

* **Queued with the change.** :func:`enqueue_email` inserts the row in the caller's transaction.
  If that transaction rolls back, there is no row and nothing is sent.
* **Once per dedupe key.** The key is unique in the database; a second enqueue with the same
  key creates nothing, whoever runs it and whenever.
* **Sent after the commit.** The send task is started through
  :func:`weticket_wagtail.tasks_runtime.run_task`, so it never runs before the row is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.template import Context, TemplateDoesNotExist
from django.template import Template as EngineTemplate
from django.template.loader import get_template
from django.utils import timezone, translation

from weticket_wagtail.tasks_runtime import run_task

from .models import OutboxMessage
from .tasks import send_outbox_message_task

_SUBJECT_MAX = OutboxMessage._meta.get_field("subject").max_length
_FORBIDDEN_IN_HEADERS = ("\r", "\n", "\0")
_LIMITED_FIELDS = ("dedupe_key", "to", "reply_to", "language", "topic", "object_ref")


@dataclass(frozen=True)
class Email:
    """An email to send: its dedupe key, recipient, content, and what it is about.

    Checked and normalised when made, so every way of queueing accepts the same thing: the
    address and reply-to are stripped, the subject is folded to one line (and shortened to
    fit), and a ``ValueError`` is raised for a missing key or recipient, a key or address with
    a line break, an over-long field, or a malformed attachment.

    * ``dedupe_key``: the sender's idempotency key (``order_confirmation:<order token>``); an
      email whose key exists is never queued again.
    * ``subject``, ``text``, ``html``: the content; use :meth:`rendered` to fill them from
      templates. ``html`` is optional.
    * ``language``: the language the content is in (``Content-Language``; templates are
      rendered in it).
    * ``topic``, ``object_ref``: what kind of email, and which record it is about
      (:func:`object_ref_for`); the admin and :mod:`weticket_wagtail.mail.reports` use them.
    * ``attachments``: ``{"kind": name, "args": {...}}``, made at send time by the
      :mod:`~weticket_wagtail.mail.attachments` registry.
    * ``send_after``: no sender takes the email before then (a campaign paces itself this way);
      ``None`` is now.
    """

    dedupe_key: str
    to: str
    subject: str = ""
    text: str = ""
    html: str = ""
    language: str = ""
    topic: str = ""
    object_ref: str = ""
    attachments: tuple[Mapping[str, Any], ...] = ()
    reply_to: str = ""
    send_after: datetime | None = None

    def __post_init__(self) -> None:
        key = str(self.dedupe_key)
        normalised = {
            "dedupe_key": key,
            "to": str(self.to).strip(),
            "reply_to": str(self.reply_to).strip(),
            "subject": _fit_subject(str(self.subject)),
            "text": str(self.text),
            "html": str(self.html),
            "attachments": _attachment_specs(self.attachments, key),
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)
        if not key:
            raise ValueError("An email needs a dedupe key.")
        if not self.to:
            raise ValueError(f"Email {key!r} has no recipient.")
        for name in ("dedupe_key", "to", "reply_to"):
            if any(char in getattr(self, name) for char in _FORBIDDEN_IN_HEADERS):
                raise ValueError(f"{name} of email {key!r} contains a line break.")
        for name in _LIMITED_FIELDS:
            max_length = OutboxMessage._meta.get_field(name).max_length
            if len(getattr(self, name)) > max_length:
                raise ValueError(f"{name} of email {key!r} is longer than {max_length}.")

    def rendered(self, template: str, context: Mapping[str, Any]) -> Email:
        """This email with its subject, text and HTML rendered by :func:`render_email`.

        Rendered in :attr:`language` (the active language when it is empty).
        """
        subject, text, html = render_email(template, context, self.language)
        return replace(self, subject=subject, text=text, html=html)


def object_ref_for(instance: Model) -> str:
    """The ``object_ref`` of a model instance, e.g. ``"weticket_ticketing.order:42"``."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def enqueue_email(email: Email, *, send: bool = True) -> OutboxMessage | None:
    """Queue ``email`` in the caller's transaction; return its row, or ``None`` for a duplicate.

    Guarantees: the row is written in the current transaction (inside a savepoint, so a
    duplicate key leaves the caller's transaction usable, on PostgreSQL too). If a row with the
    email's dedupe key exists, nothing is created and nothing is sent. When created and
    ``send``, the send task is started after the commit (never if the transaction rolls back);
    an email whose ``send_after`` lies in the future is left to the periodic sweep instead.
    """
    message = _outbox_row(email)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if OutboxMessage.objects.filter(dedupe_key=message.dedupe_key).exists():
            return None
        raise
    if send and (email.send_after is None or email.send_after <= timezone.now()):
        run_task(send_outbox_message_task, message.pk)
    return message


def enqueue_templated_email(
    email: Email, *, template: str, context: Mapping[str, Any], send: bool = True
) -> OutboxMessage | None:
    """Render ``email`` from ``template`` in its language (:meth:`Email.rendered`) and queue it.

    Same guarantees as :func:`enqueue_email`. The rendered text is stored, so what is sent is
    what the templates said at the time of the change, even if they are edited later.
    """
    return enqueue_email(email.rendered(template, context), send=send)


def enqueue_many(emails: Iterable[Email], batch_size: int = 1000) -> int:
    """Queue many emails with bulk inserts, skipping dedupe keys that exist; return the count tried.

    Emails are read lazily and inserted ``batch_size`` at a time, in the caller's transaction;
    each waits for its ``send_after``, which is how a caller paces a large mailing without
    holding a worker. Nothing is dispatched per email: the periodic sweep
    (:func:`weticket_wagtail.mail.sender.send_due_messages`) sends them, or start one with
    ``run_task(sweep_outbox_task)``. The return value counts emails attempted, duplicates
    included (bulk inserts that ignore conflicts cannot tell which were skipped).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    iterator = iter(emails)
    attempted = 0
    while batch := list(islice(iterator, batch_size)):
        OutboxMessage.objects.bulk_create(
            [_outbox_row(email) for email in batch], batch_size=batch_size, ignore_conflicts=True
        )
        attempted += len(batch)
    return attempted


def render_email(
    template: str, context: Mapping[str, Any], language: str = ""
) -> tuple[str, str, str]:
    """Render ``(subject, text, html)`` from ``<template>_subject.txt``, ``.txt`` and ``.html``.

    Rendering happens in ``language`` (the active language when empty). The subject is folded
    to one line. The plain-text templates are rendered without HTML escaping (``&`` stays
    ``&``); the HTML template is escaped as usual. The HTML part is optional: without a
    ``<template>.html`` it is ``""``.
    """
    with translation.override(language) if language else nullcontext():
        subject = _one_line(_render_plain(f"{template}_subject.txt", context))
        text = _render_plain(f"{template}.txt", context).lstrip("\n")
        try:
            html_template = get_template(f"{template}.html")
        except TemplateDoesNotExist:
            html = ""
        else:
            html = html_template.render(dict(context))
    return subject, text, html


# --- internals --------------------------------------------------------------------------------


def _outbox_row(email: Email) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=email.dedupe_key,
        to=email.to,
        reply_to=email.reply_to,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        language=email.language,
        topic=email.topic,
        object_ref=email.object_ref,
        attachments=[dict(spec) for spec in email.attachments],
        next_attempt_at=email.send_after or timezone.now(),
    )


def _fit_subject(subject: str) -> str:
    subject = _one_line(subject)
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    return subject


def _attachment_specs(
    attachments: Iterable[Mapping[str, Any]], dedupe_key: str
) -> tuple[dict[str, Any], ...]:
    specs = []
    for spec in attachments:
        kind = spec.get("kind") if isinstance(spec, Mapping) else None
        args = spec.get("args", {}) if isinstance(spec, Mapping) else None
        if not kind or not isinstance(kind, str) or not isinstance(args, Mapping):
            raise ValueError(
                f"Attachment of email {dedupe_key!r} must be {{'kind': str, 'args': dict}}."
            )
        specs.append({"kind": kind, "args": dict(args)})
    return tuple(specs)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _render_plain(name: str, context: Mapping[str, Any]) -> str:
    template = get_template(name)
    engine_template = getattr(template, "template", None)
    if isinstance(engine_template, EngineTemplate):
        # Plain text is not HTML: "Rock & Roll" must not become "Rock &amp; Roll".
        return engine_template.render(Context(dict(context), autoescape=False))
    return template.render(dict(context))
