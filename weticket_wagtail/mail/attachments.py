"""The attachment registry: attachments are named by kind when queued and made when sent.

An outbox row stores ``[{"kind": "ticket_pdf", "args": {"order": "<token>"}}]``, never file
contents, so a queued email stays small and always carries the current version of, say, a
ticket PDF. Domain apps register their kinds in ``AppConfig.ready()``::

    from weticket_wagtail.mail.attachments import register_attachment

    register_attachment("ticket_pdf", render_ticket_pdf_attachment)

where ``render_ticket_pdf_attachment(**args)`` returns ``(filename, content_bytes, mimetype)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

Attachment = tuple[str, bytes, str]
AttachmentFactory = Callable[..., Attachment]

_registry: dict[str, AttachmentFactory] = {}
_lock = threading.Lock()


class AttachmentError(Exception):
    """An attachment could not be made; the message fails with this text as its last error."""


def register_attachment(kind: str, func: AttachmentFactory) -> None:
    """Make ``func(**args)`` the maker of attachments of ``kind``.

    Registering the same function again is harmless; registering a different function for a
    kind that is taken raises ``ValueError`` (two apps claiming one name is a bug).
    """
    if not kind or not isinstance(kind, str):
        raise ValueError("An attachment kind is a non-empty string.")
    with _lock:
        existing = _registry.get(kind)
        if existing is not None and existing is not func:
            raise ValueError(f"Attachment kind {kind!r} is already registered to {existing!r}.")
        _registry[kind] = func


def unregister_attachment(kind: str) -> None:
    """Forget ``kind`` (for tests); unknown kinds are ignored."""
    with _lock:
        _registry.pop(kind, None)


def is_registered(kind: str) -> bool:
    """Whether a maker for ``kind`` is registered in this process."""
    return kind in _registry


def resolve_attachment(spec: Mapping[str, Any]) -> Attachment:
    """Make the attachment described by ``spec`` (``{"kind": ..., "args": {...}}``).

    Raises :class:`AttachmentError` for an unknown kind, a maker that fails, or a maker that
    returns something other than ``(filename, bytes, mimetype)``.
    """
    kind = spec.get("kind", "")
    args = spec.get("args") or {}
    func = _registry.get(kind)
    if func is None:
        raise AttachmentError(f"Unknown attachment kind {kind!r}: nothing registered it.")
    try:
        result = func(**args)
    except Exception as exc:
        raise AttachmentError(
            f"Attachment {kind!r} could not be made: {type(exc).__name__}: {exc}"
        ) from exc
    if (
        not isinstance(result, tuple)
        or len(result) != 3
        or not isinstance(result[0], str)
        or not isinstance(result[1], bytes | bytearray)
        or not isinstance(result[2], str)
    ):
        raise AttachmentError(
            f"Attachment {kind!r} must return (filename, bytes, mimetype), not {type(result)!r}."
        )
    return result[0], bytes(result[1]), result[2]
