"""The demo's console email backend prints a summary, not the attachments' base64."""

from __future__ import annotations

import base64
import io

from demo.mail import SummaryEmailBackend
from django.core.mail import EmailMultiAlternatives


def test_the_demo_console_shows_a_summary_without_base64():
    pdf = b"%PDF-1.7 " + bytes(range(256)) * 40
    message = EmailMultiAlternatives(
        subject="Your tickets for Jazz in de tuin",
        body="Hello Zoë,\n\nyour tickets are attached.",
        from_email="WeTicket demo <tickets@example.org>",
        to=["zoe@example.org"],
    )
    message.attach_alternative("<p>Hello Zoë</p>", "text/html")
    message.attach("tickets-WT123.pdf", pdf, "application/pdf")
    stream = io.StringIO()
    assert SummaryEmailBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert "To: zoe@example.org" in printed
    assert "Subject: Your tickets for Jazz in de tuin" in printed
    assert "your tickets are attached." in printed
    assert f"Attachment: tickets-WT123.pdf (application/pdf, {len(pdf):,} bytes)" in printed
    assert base64.b64encode(pdf)[:40].decode() not in printed
    assert len(printed.splitlines()) < 15
