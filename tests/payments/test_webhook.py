"""Mollie's webhook: garbage never gives a 500, unknown ids reveal nothing, and the same
webhook posted many times at once (PostgreSQL, one connection per thread) applies once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment
from weticket_wagtail.payments.services import start_payment
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

WEBHOOK = "/tickets/webhooks/mollie/"


@pytest.mark.parametrize(
    "body,content_type",
    [
        ("", "application/x-www-form-urlencoded"),
        ("id=", "application/x-www-form-urlencoded"),
        ("id=not-a-payment", "application/x-www-form-urlencoded"),
        ("id=tr_" + "x" * 500, "application/x-www-form-urlencoded"),
        ('{"id": "tr_abc"}', "application/json"),
        ("\x00\xff\xfe garbage", "application/octet-stream"),
        ("id=%ZZ%", "application/x-www-form-urlencoded"),
    ],
)
@pytest.mark.django_db
def test_garbage_webhook_bodies_never_give_a_500(client, body, content_type):
    response = client.post(WEBHOOK, body, content_type=content_type)
    assert response.status_code == 400


@pytest.mark.django_db
def test_unknown_payment_ids_get_200_and_reveal_nothing(client):
    response = client.post(WEBHOOK, {"id": "tr_unknown1234"})
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_the_webhook_refuses_get(client):
    assert client.get(WEBHOOK).status_code == 405


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
def test_the_same_webhook_posted_twenty_times_at_once_applies_once(settings, mollie, on_sale):
    regular = on_sale["regular"]
    reservation = reserve_tickets(on_sale["event"], {regular.pk: 2})
    order = place_order(reservation, buyer_name="Ada", buyer_email="ada@example.org", language="nl")
    payment = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    start = threading.Barrier(20)

    def post_webhook(_):
        start.wait()
        try:
            return Client().post(WEBHOOK, {"id": payment.mollie_id}).status_code
        finally:
            connections.close_all()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(post_webhook, range(20)))

    assert set(statuses) <= {200, 503}
    assert statuses.count(200) >= 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    regular.refresh_from_db()
    assert regular.sold_count == 2
    assert order.tickets.count() == 2
    assert (
        OutboxMessage.objects.filter(topic="order_confirmation", to="ada@example.org").count() == 1
    )
    assert Payment.objects.get(pk=payment.pk).confirmed_order is True
