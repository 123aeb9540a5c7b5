"""The example site: migrations are complete and the demo seeding is idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from weticket_wagtail.ticketing.models import Event, Organisation, TicketType


@pytest.mark.django_db
def test_migrations_are_complete():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_its_login_works(client, settings):
    settings.ROOT_URLCONF = "demo.urls"  # /nl/ and /en/
    # `make demo` pays at the Mollie double with its fallback key (see the Makefile).
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": "test_" + "demo" * 8}
    out = io.StringIO()
    call_command("weticket_demo", stdout=out)
    call_command("weticket_demo", stdout=io.StringIO())
    assert Organisation.objects.count() == 1
    assert Event.objects.count() == 2
    assert TicketType.objects.count() == 6
    organisation = Organisation.objects.get()
    assert organisation.primary_colour and organisation.font != "system"
    printed = out.getvalue()
    assert "password 'demo-tickets-2026'" in printed
    assert client.login(username="demo", password="demo-tickets-2026")
    assert client.get("/admin/weticket_events/").status_code == 200
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="nl")["Location"] == "/nl/"
    home = client.get("/nl/")
    assert home.status_code == 200
    assert "Jazz in de tuin" in home.content.decode()
    # Every event on the home page links to its shop.
    for shop in (
        "/nl/tickets/zomeravond/jazz-in-de-tuin/",
        "/nl/tickets/zomeravond/filmnacht-op-het-dak/",
    ):
        assert f'href="{shop}"' in home.content.decode()
        assert client.get(shop).status_code == 200
    assert 'href="/nl/kaartjes/"' in home.content.decode()
    tickets = client.get("/nl/kaartjes/")
    assert tickets.status_code == 200
    body = tickets.content.decode()
    assert "Filmnacht op het dak" in body and body.count('class="weticket-qty"') == 6
    assert "--weticket-primary:#7c2d12" in body
    # The checkout links to the privacy statement in force.
    field = body.split('name="quantity_', 1)[1].split('"', 1)[0]
    reserved = client.post("/nl/tickets/zomeravond/jazz-in-de-tuin/", {f"quantity_{field}": "1"})
    checkout = client.get(reserved["Location"]).content.decode()
    assert 'href="/nl/privacy/"' in checkout
    client.logout()
    assert client.login(username="organiser", password="organiser-tickets-2026")
    events = client.get("/admin/weticket_events/").content.decode()
    assert "Filmnacht op het dak" in events


@pytest.mark.django_db
def test_the_demo_has_every_page_in_dutch_and_english_under_its_own_prefix(client, settings):
    settings.ROOT_URLCONF = "demo.urls"
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": "test_" + "demo" * 8}
    call_command("weticket_demo", stdout=io.StringIO())
    call_command("weticket_demo", stdout=io.StringIO())  # again: nothing doubles

    pages = {
        "nl": ["/nl/", "/nl/kaartjes/", "/nl/privacy/", "/nl/privacyverzoek/", "/nl/aftermovie/"],
        "en": ["/en/", "/en/shop/", "/en/privacy/", "/en/privacy-request/", "/en/aftermovie/"],
    }
    for language, paths in pages.items():
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert f'<html lang="{language}">' in response.content.decode(), path
    english_home = client.get("/en/").content.decode()
    assert "Tickets for the events of Stichting Zomeravond." in english_home
    assert 'href="/en/shop/"' in english_home and 'href="/nl/"' in english_home
    assert 'href="/en/tickets/zomeravond/jazz-in-de-tuin/"' in english_home
    assert "Reserve tickets" in client.get("/en/shop/").content.decode()
    # Paths without a language go to the visitor's.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Location"] == "/en/"
