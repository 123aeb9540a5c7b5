"""Ticketing links to the buyer's pages through the resolver checkout registers, not by URL name."""

from __future__ import annotations

from html import unescape

import pytest

from weticket_wagtail.checkout.links import CheckoutLinks
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.links import BuyerLinks, buyer_links, register_buyer_links
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db


class ElsewhereLinks(BuyerLinks):
    """A project that serves the buyer's pages itself."""

    def order_path(self, order):
        return f"/my-orders/{order.token}/"

    def shop_path(self, event):
        return f"/agenda/{event.slug}/"

    def embed_path(self, event):
        return f"/frame/{event.slug}/"


@pytest.fixture
def elsewhere():
    registered = buyer_links()
    register_buyer_links(ElsewhereLinks())
    yield
    register_buyer_links(registered)


@pytest.fixture
def public_base(settings):
    settings.WETICKET = {**settings.WETICKET, "PUBLIC_BASE_URL": "https://tickets.example.org"}


def free_order(on_sale):
    free = TicketTypeFactory(event=on_sale["event"], name="Gratis", price=0, capacity=5)
    reservation = reserve_tickets(on_sale["event"], {free.pk: 1})
    return place_order(reservation, buyer_name="Ada", buyer_email="ada@example.org", language="en")


def test_checkout_registers_its_pages_when_the_apps_are_ready():
    assert isinstance(buyer_links(), CheckoutLinks)


def test_the_confirmation_links_to_checkouts_order_page(on_sale, public_base):
    order = free_order(on_sale)
    email = OutboxMessage.objects.get(topic="order_confirmation")
    assert f"https://tickets.example.org/tickets/order/{order.token}/" in email.body_text


def test_another_resolver_decides_where_the_email_links(on_sale, public_base, elsewhere):
    order = free_order(on_sale)
    email = OutboxMessage.objects.get(topic="order_confirmation")
    assert f"https://tickets.example.org/my-orders/{order.token}/" in email.body_text
    assert "/tickets/order/" not in email.body_text


def test_the_event_editor_shows_the_shop_link_and_the_embed_snippet(
    on_sale, admin_client, public_base
):
    event = on_sale["event"]
    html = unescape(admin_client.get(f"/admin/weticket_events/edit/{event.pk}/").content.decode())
    assert 'href="https://tickets.example.org/tickets/test-org/jazz-night/"' in html
    assert "embed.js" in html and 'data-weticket-event="test-org/jazz-night"' in html
    assert 'data-weticket-url="https://tickets.example.org/tickets/embed/test-org/jazz-night/"' in (
        html
    )


def test_the_embed_snippet_follows_the_resolver(on_sale, admin_client, public_base, elsewhere):
    event = on_sale["event"]
    html = unescape(admin_client.get(f"/admin/weticket_events/edit/{event.pk}/").content.decode())
    assert 'data-weticket-url="https://tickets.example.org/frame/jazz-night/"' in html
    assert 'href="https://tickets.example.org/agenda/jazz-night/"' in html


def test_without_a_resolver_that_knows_the_pages_there_is_no_snippet(on_sale, admin_client):
    registered = buyer_links()
    register_buyer_links(BuyerLinks())
    try:
        event = on_sale["event"]
        html = admin_client.get(f"/admin/weticket_events/edit/{event.pk}/").content.decode()
    finally:
        register_buyer_links(registered)
    assert "data-weticket-url" not in html
