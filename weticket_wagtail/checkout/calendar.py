"""iCalendar (RFC 5545) for one event, written by hand: it is a dozen lines."""

from __future__ import annotations

from datetime import UTC

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.ticketing.models import Event


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded, as RFC 5545 requires."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > 74:
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def event_calendar(event: Event, request: HttpRequest) -> str:
    """A VCALENDAR with one VEVENT for ``event``, linking back to its ticket shop."""
    url = request.build_absolute_uri(
        reverse("weticket_checkout:event_shop", args=[event.organisation.slug, event.slug])
    )
    location = ", ".join(part for part in (event.venue, event.address) if part)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//weticket-wagtail//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{request.get_host()}",
        f"DTSTAMP:{_stamp(timezone.now())}",
        f"DTSTART:{_stamp(event.starts_at)}",
        f"DTEND:{_stamp(event.ends_at)}",
        f"SUMMARY:{_escape(event.title)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(event.description)}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
