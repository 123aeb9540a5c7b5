"""Keep buyers' tokens (and, in error texts, email addresses) out of log lines.

A buyer's order and checkout URLs carry unguessable tokens (``secrets.token_urlsafe(24)``, 32
characters), which are as good as a password for that order. Our own loggers log ids, never
tokens; :func:`scrub_error` scrubs text we did not write ourselves (an exception's message can
quote a row's values: a token, an email address), and :class:`RedactTokensFilter` replaces
tokens in what Django's request loggers write (the path of every 4xx/5xx answer and, under
``runserver``, of every request).
A web server's own access log is outside Django: configure it not to log buyer paths.
"""

from __future__ import annotations

import logging
import re

#: A token as ``secrets.token_urlsafe(24)`` makes it, standing on its own.
TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])")
REDACTED = "[token]"
#: An email address (what a database error quoting an order row could contain).
EMAIL = re.compile(r"[^\s@()<>\[\],;:\"']+@[^\s@()<>\[\],;:\"']+\.[A-Za-z]{2,}")
REDACTED_EMAIL = "[email]"
#: Django's loggers that put request paths into their messages.
REQUEST_LOGGERS = ("django.request", "django.server")


def redact_tokens(text: str) -> str:
    """``text`` with everything shaped like a buyer token replaced by ``[token]``."""
    return TOKEN.sub(REDACTED, text)


def scrub_error(text: str) -> str:
    """An error's text fit for a log line, ``last_error`` or the audit log: tokens and email
    addresses replaced, on one line."""
    return EMAIL.sub(REDACTED_EMAIL, redact_tokens(text.replace("\n", " ")))


class RedactTokensFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact_tokens` (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_request_log_redaction() -> None:
    """Attach :class:`RedactTokensFilter` to Django's request loggers, once."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
            logger.addFilter(RedactTokensFilter())
