"""A site that sells in another currency shows it everywhere, and orders keep theirs."""

from __future__ import annotations

import pytest

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Order

pytestmark = pytest.mark.django_db

SHOP = "/tickets/test-org/jazz-night/"


def test_shop_checkout_order_and_email_speak_the_sites_currency(client, settings, on_sale):
    settings.WETICKET = {**settings.WETICKET, "CURRENCY": "GBP"}
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    free = TicketTypeFactory(event=on_sale["event"], name="Gratis", price=0, capacity=5)
    shop = client.get(SHOP, **headers).content.decode()
    assert "£ 24.50" in shop and "€" not in shop
    reserved = client.post(SHOP, {f"quantity_{free.pk}": "1"}, **headers)
    checkout = client.get(reserved["Location"], **headers).content.decode()
    assert "£ 0.00" in checkout and "€" not in checkout
    client.post(reserved["Location"], {"buyer_name": "Kees", "buyer_email": "k@example.org"})
    order = Order.objects.get()
    assert order.currency == "GBP"
    page = client.get(f"/tickets/order/{order.token}/", **headers).content.decode()
    assert "£ 0.00" in page and "€" not in page
    email = OutboxMessage.objects.get(topic="order_confirmation")
    assert "£ 0.00" in email.body_text and "€" not in email.body_text + email.body_html


def test_an_order_keeps_its_currency_when_the_setting_changes(client, settings, on_sale):
    free = TicketTypeFactory(event=on_sale["event"], name="Gratis", price=0, capacity=5)
    reserved = client.post(SHOP, {f"quantity_{free.pk}": "1"})
    client.post(reserved["Location"], {"buyer_name": "Kees", "buyer_email": "k@example.org"})
    order = Order.objects.get()
    settings.WETICKET = {**settings.WETICKET, "CURRENCY": "USD"}
    page = client.get(f"/tickets/order/{order.token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "€ 0.00" in page.content.decode() and "$" not in page.content.decode()


def test_the_event_editor_labels_prices_in_the_sites_currency(admin_client, settings, on_sale):
    settings.WETICKET = {**settings.WETICKET, "CURRENCY": "GBP"}
    url = f"/admin/weticket_events/edit/{on_sale['event'].pk}/"
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Price (GBP)" in page and "(EUR)" not in page
