"""Buyers are served in their language: the pages and the emails, nl and en."""

from __future__ import annotations

import pytest

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.ticketing.models import Order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language,button,held,subject",
    [
        ("nl", "Tickets reserveren", "vastgehouden", "Je tickets voor"),
        ("en", "Reserve tickets", "held until", "Your tickets for"),
    ],
)
def test_shop_checkout_and_confirmation_in_the_buyers_language(
    client, on_sale, language, button, held, subject
):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    free = on_sale["event"].ticket_types.model.objects.create(
        event=on_sale["event"], name="Gratis", price=0, capacity=5
    )
    shop = client.get("/tickets/test-org/jazz-night/", **headers).content.decode()
    assert button in shop
    reserved = client.post("/tickets/test-org/jazz-night/", {f"quantity_{free.pk}": "1"}, **headers)
    checkout = client.get(reserved["Location"], **headers).content.decode()
    assert held in checkout
    client.post(
        reserved["Location"], {"buyer_name": "Kees", "buyer_email": "kees@example.org"}, **headers
    )
    order = Order.objects.get()
    assert order.language == language and order.status == Order.Status.PAID
    email = OutboxMessage.objects.get(topic="order_confirmation")
    assert email.subject.startswith(subject)
