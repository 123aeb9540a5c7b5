"""Allowed embedding origins are origins, nothing else: no CSP injection through the admin, and
the header is built only from what passes the same rules, whatever is stored."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.test import Client

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory
from weticket_wagtail.ticketing.models import Organisation
from weticket_wagtail.ticketing.validators import normalise_origin, validate_origins

pytestmark = pytest.mark.django_db

BAD = [
    "https://x.example;script-src",
    "https://x.example;",
    "https://*",
    "https://*.",
    "https://*.org",
    "http://*.example.org",
    "https://a*.example.org",
    "https://*.*.example.org",
    "*",
    "'self'",
    "'unsafe-inline'",
    "https://x.example:99999",
    "https://x.example:0",
    "https://x.example:65536",
    "https://x.example:*",
    "https://x.example:+443",
    "https://x.example:",
    "https://user@x.example",
    "https://user:pw@x.example",
    "https://x.example/path",
    "https://x.example/?q=1",
    "https://x.example#top",
    "ftp://files.example",
    "javascript:alert(1)",
    "data:text/html",
    "https://",
    "https://-bad-.example",
    "https://x..example",
    "https://x_y.example",
    "https://[not-ipv6]",
    "https://x.example\\@evil.example",
    "https://x.example'",
    'https://x.example"',
]

GOOD = {
    "https://www.example.org": "https://www.example.org",
    "https://Example.ORG:443/": "https://example.org",
    "http://localhost:8001": "http://localhost:8001",
    "http://127.0.0.1:8001": "http://127.0.0.1:8001",
    "https://shop.example.org:8443": "https://shop.example.org:8443",
    "https://x.example:65535": "https://x.example:65535",
    "https://x.example:1": "https://x.example:1",
    "http://example.org:80": "http://example.org",
    "https://[::1]:8443": "https://[::1]:8443",
    "https://*.example.org": "https://*.example.org",
    "https://bücher.example": "https://xn--bcher-kva.example",
}


@pytest.mark.parametrize("value", BAD)
def test_what_is_not_an_origin_is_refused_with_its_name(value):
    assert normalise_origin(value) is None
    with pytest.raises(ValidationError) as exc:
        validate_origins(f"https://ok.example\n{value}")
    assert value.split()[0] in exc.value.messages[0]
    assert "https://ok.example," not in exc.value.messages[0]


@pytest.mark.parametrize("value,expected", GOOD.items())
def test_origins_are_accepted_and_written_the_way_browsers_compare_them(value, expected):
    validate_origins(value)
    assert normalise_origin(value) == expected


def test_the_admin_form_refuses_an_injection_attempt():
    organisation = Organisation(
        name="X",
        slug="x",
        contact_email="x@example.org",
        embed_origins="https://x.example;script-src 'unsafe-inline'",
    )
    with pytest.raises(ValidationError) as exc:
        organisation.full_clean()
    assert "https://x.example;script-src" in exc.value.message_dict["embed_origins"][0]


@pytest.fixture
def stored_badly():
    """An organisation whose origins were saved before the rules (or around them)."""
    organisation = OrganisationFactory(slug="org")
    event = EventFactory(organisation=organisation, slug="gig")
    TicketTypeFactory(event=event)
    Organisation.objects.filter(pk=organisation.pk).update(
        embed_origins="https://ok.example\nhttps://x.example;script-src\n'unsafe-inline'\n"
        "https://*\nhttps://y.example:99999\nHTTPS://Second.Example:443/"
    )
    return organisation


def test_the_frame_header_contains_only_valid_origins_whatever_is_stored(stored_badly):
    response = Client().get("/tickets/embed/org/gig/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://ok.example https://second.example"
    )


def test_a_stored_bad_origin_cannot_become_the_frames_parent(stored_badly):
    html = Client().get("/tickets/embed/org/gig/?parent=https://*").content.decode()
    assert "data-weticket-parent" not in html
    html = Client().get("/tickets/embed/org/gig/?parent=https://second.example").content.decode()
    assert 'data-weticket-parent="https://second.example"' in html


def test_a_wildcard_origin_frames_and_talks_to_its_subdomains_only():
    organisation = OrganisationFactory(slug="org", embed_origins="https://*.venue.example")
    event = EventFactory(organisation=organisation, slug="gig")
    TicketTypeFactory(event=event)
    shop = "/tickets/embed/org/gig/?parent="
    response = Client().get(shop + "https://www.venue.example")
    assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://*.venue.example"
    assert 'data-weticket-parent="https://www.venue.example"' in response.content.decode()
    for stranger in (
        "https://venue.example",
        "http://www.venue.example",
        "https://evilvenue.example",
        "https://www.venue.example:8443",
        "https://www.venue.example.evil.example",
    ):
        assert "data-weticket-parent" not in Client().get(shop + stranger).content.decode()


def test_a_system_check_names_organisations_with_stored_bad_origins(stored_badly):
    messages = [m for m in run_checks(databases=["default"]) if m.id == "weticket.W011"]
    assert len(messages) == 1
    assert "org" in messages[0].msg and "https://x.example;script-src" in messages[0].msg
    assert "https://ok.example" not in messages[0].msg
    assert messages[0].obj == stored_badly
