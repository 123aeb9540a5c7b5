"""Refunds, resends and exports are actions on the order in Wagtail's audit log, shown on the
order's page, with no buyer data in the log itself (issue #16.5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from weticket_wagtail.payments import audit

pytestmark = pytest.mark.django_db


def history(order) -> list[tuple[str, str | None]]:
    return [(e.action, e.user.username if e.user else None) for e in audit.order_history(order)]


def page_text(client, order) -> str:
    html = client.get(reverse("weticket_orders:inspect", args=[order.pk])).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_every_action_type_is_registered_with_a_label():
    for action in audit.FORMATTERS:
        assert registry.action_exists(action)
        assert registry.get_action_label(action)


def test_a_staff_refund_a_resend_and_an_export_are_logged_on_the_order(client, shop, mollie):
    client.force_login(shop["member"])
    order = shop["order_a"]
    refund_url = reverse("weticket_orders:refund", args=[order.pk])
    client.post(refund_url, {"amount": "10.00", "confirm": "1", "refundable_before": "49.00"})
    client.post(reverse("weticket_orders:resend", args=[order.pk]))
    export = client.get(reverse("weticket_orders:index"), {"export": "csv"})
    b"".join(export.streaming_content)

    assert history(order) == [
        (audit.REFUND_REQUESTED, "member-a"),
        (audit.REFUND_ACCEPTED, "member-a"),  # in their request: Wagtail's log context
        (audit.CONFIRMATION_RESENT, "member-a"),
        (audit.ORDER_EXPORTED, "member-a"),
    ]
    # The other organisation's order was not in this member's export.
    assert history(shop["order_b"]) == []

    text = page_text(client, order)
    assert "History" in text
    assert "Refund" in text and "of € 10.00 requested" in text
    assert "accepted by the provider" in text
    assert "Order confirmation queued again" in text
    assert "Exported in a CSV spreadsheet" in text

    for entry in ModelLogEntry.objects.all():
        assert entry.label in {order.reference, shop["order_b"].reference}
        dump = f"{entry.label} {entry.data}"
        for personal in (order.buyer_name, order.buyer_email, order.token):
            assert personal not in dump


def test_a_refused_confirmation_is_not_logged_as_a_refund(client, shop, mollie):
    client.force_login(shop["member"])
    order = shop["order_a"]
    refund_url = reverse("weticket_orders:refund", args=[order.pk])
    client.post(refund_url, {"amount": "10.00", "confirm": "1", "refundable_before": "40.00"})
    assert history(order) == []
