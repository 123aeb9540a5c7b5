"""The demo's console email backend: a summary of each message instead of its raw MIME.

Django's console backend prints every attachment base64-encoded, so one order confirmation
fills the demo's terminal with the PDF. This one prints who, what, the plain text and the
attachments' names and sizes.
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend
from django.core.mail.message import EmailMessage

RULE = "-" * 79


def message_summary(message: EmailMessage) -> str:
    """The parts of ``message`` a person reads, and its attachments by name and size."""
    lines = [
        f"From: {message.from_email}",
        f"To: {', '.join(message.to)}",
        f"Subject: {message.subject}",
    ]
    if message.cc:
        lines.append(f"Cc: {', '.join(message.cc)}")
    alternatives = [mimetype for _content, mimetype in getattr(message, "alternatives", [])]
    if alternatives:
        lines.append(f"Alternatives: {', '.join(alternatives)} (not shown)")
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            name, content, mimetype = attachment
        else:  # a MIMEBase part
            name = attachment.get_filename() or "(unnamed)"
            content = attachment.get_payload(decode=True) or b""
            mimetype = attachment.get_content_type()
        size = len(content.encode() if isinstance(content, str) else content)
        lines.append(f"Attachment: {name} ({mimetype}, {size:,} bytes)")
    return "\n".join([*lines, "", str(message.body).rstrip(), RULE, ""])


class SummaryEmailBackend(ConsoleEmailBackend):
    """Writes :func:`message_summary` of each message to the console (or ``stream``)."""

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(message_summary(message) + "\n")
