"""The event's iCalendar file: what a calendar application reads back is what the admin wrote."""

from __future__ import annotations

import icalendar
import pytest

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

ICS = "/tickets/org/gig/event.ics"


@pytest.fixture
def event():
    organisation = OrganisationFactory(slug="org")
    return EventFactory(
        organisation=organisation,
        slug="gig",
        title="Jazz; blues, and more",
        venue="De Zaal",
        address="Plein 1, Amsterdam",
        # What a textarea in the admin posts: CRLF line ends, plus long lines of non-ASCII text.
        description="Eerste regel.\r\nTweede regel; met komma, en puntkomma.\r\n\r\n"
        + "Één heel lange regel met ë, ü en € die zeker langer is dan vijfenzeventig octetten. "
        * 3,
    )


def test_a_multi_line_description_from_the_admin_round_trips(client, event):
    body = client.get(ICS).content
    calendar = icalendar.Calendar.from_ical(body)
    (vevent,) = calendar.walk("VEVENT")
    expected = event.description.replace("\r\n", "\n")
    assert str(vevent["DESCRIPTION"]) == expected
    assert str(vevent["SUMMARY"]) == "Jazz; blues, and more"
    assert str(vevent["LOCATION"]) == "De Zaal, Plein 1, Amsterdam"
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert vevent.decoded("DTEND") == event.ends_at.replace(microsecond=0)
    assert str(vevent["URL"]) == "http://testserver/tickets/org/gig/"


def test_content_lines_are_crlf_terminated_and_folded_at_75_octets(client, event):
    body = client.get(ICS).content
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), max(len(line) for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the description had to be folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
