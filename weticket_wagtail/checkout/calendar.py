"""iCalendar (RFC 5545) for one event, written with the ``icalendar`` library.

The library escapes text values, folds lines at 75 octets (never inside a character) and ends
every line with CRLF. Line ends in texts typed in the admin arrive as CRLF (or CR): they are
made plain newlines first, the only line break an iCalendar text value can carry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.ticketing.models import Event

_LINE_BREAKS = re.compile(r"\r\n|\r")


def _text(value: str) -> str:
    """``value`` with every line break a newline (CRLF and CR from browsers included)."""
    return _LINE_BREAKS.sub("\n", value or "")


def _utc(moment: datetime) -> datetime:
    """In UTC (written with a ``Z``, which every calendar reads) to the second."""
    return moment.astimezone(UTC).replace(microsecond=0)


def event_calendar(event: Event, request: HttpRequest) -> bytes:
    """A VCALENDAR with one VEVENT for ``event``, linking back to its ticket shop."""
    url = request.build_absolute_uri(
        reverse("weticket_checkout:event_shop", args=[event.organisation.slug, event.slug])
    )
    location = ", ".join(part for part in (event.venue, event.address) if part)
    vevent = icalendar.Event()
    vevent.add("uid", f"event-{event.pk}@{request.get_host()}")
    vevent.add("dtstamp", _utc(timezone.now()))
    vevent.add("dtstart", _utc(event.starts_at))
    vevent.add("dtend", _utc(event.ends_at))
    vevent.add("summary", _text(event.title))
    if location:
        vevent.add("location", _text(location))
    if event.description:
        vevent.add("description", _text(event.description))
    vevent.add("url", url, parameters={"VALUE": "URI"})
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//weticket-wagtail//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(vevent)
    return calendar.to_ical()
