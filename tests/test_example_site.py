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
    home = client.get("/")
    assert home.status_code == 200
    assert "Jazz in de tuin" in home.content.decode()
    # Every event on the home page links to its shop.
    for shop in (
        "/tickets/zomeravond/jazz-in-de-tuin/",
        "/tickets/zomeravond/filmnacht-op-het-dak/",
    ):
        assert f'href="{shop}"' in home.content.decode()
        assert client.get(shop).status_code == 200
    tickets = client.get("/kaartjes/")
    assert tickets.status_code == 200
    body = tickets.content.decode()
    assert "Filmnacht op het dak" in body and body.count('class="weticket-qty"') == 6
    assert "--weticket-primary:#7c2d12" in body
    # The checkout links to the privacy statement in force.
    field = body.split('name="quantity_', 1)[1].split('"', 1)[0]
    reserved = client.post("/tickets/zomeravond/jazz-in-de-tuin/", {f"quantity_{field}": "1"})
    checkout = client.get(reserved["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'href="/privacy/"' in checkout or "/privacy/" in checkout
    client.logout()
    assert client.login(username="organiser", password="organiser-tickets-2026")
    events = client.get("/admin/weticket_events/").content.decode()
    assert "Filmnacht op het dak" in events
