"""Refunds tied to tickets (issue #15.13): staff refund one ticket, an order line, or an amount
as a goodwill gesture from the order's admin page; refunded tickets are refused at the door,
the others stay valid, and a refunded ticket's seat goes back on sale."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.payments.models import Refund
from weticket_wagtail.payments.services import refund_tickets, send_owed_refunds, sync_payment
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Order, Ticket, TicketType
from weticket_wagtail.ticketing.services.tickets import check_ticket, ticket_token

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def scan(ticket: Ticket):
    order = ticket.order
    return check_ticket(order.organisation, ticket_token(ticket, order.organisation, "x"))


@pytest.fixture
def three_tickets(shop):
    """Zoë paid € 73.50 for three Regular tickets of Alpha Night."""
    order, payment = shop["paid"](shop["event_a"], shop["regular"], 3, "zoe3@alpha.example")
    assert order.status == Order.Status.PAID
    return order, payment, list(order.tickets.order_by("pk"))


def confirm_refund(client, order, **data):
    url = reverse("weticket_orders:refund", args=[order.pk])
    return client.post(url, {"confirm": "1", "reason": "", **data})


def test_refunding_one_of_three_tickets_refuses_its_code_and_accepts_the_others(
    client, shop, mollie, three_tickets
):
    order, payment, tickets = three_tickets
    sold_before = TicketType.objects.get(pk=shop["regular"].pk).sold_count
    client.force_login(shop["member"])

    response = confirm_refund(client, order, what="tickets", tickets=[str(tickets[1].pk)])

    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("24.50")
    assert list(refund.tickets.all()) == [tickets[1]]
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["24.50"]
    statuses = [t.status for t in Ticket.objects.filter(order=order).order_by("pk")]
    assert statuses == ["valid", "refunded", "valid"]
    refused = scan(tickets[1])
    assert not refused.accepted and refused.reason == "refunded"
    assert "refunded" in refused.message
    assert scan(tickets[0]).accepted and scan(tickets[2]).accepted
    # The seat is on sale again, and the order stays paid for the two other tickets.
    assert TicketType.objects.get(pk=shop["regular"].pk).sold_count == sold_before - 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.amount_refunded == Decimal("24.50")


def test_refunding_an_order_line_refunds_exactly_its_tickets(client, shop, mollie):
    balcony = TicketTypeFactory(event=shop["event_a"], name="Balcony", price=Decimal("10.00"))
    from weticket_wagtail.payments.services import start_payment
    from weticket_wagtail.ticketing.services.orders import place_order
    from weticket_wagtail.ticketing.services.reservations import reserve_tickets

    reservation = reserve_tickets(shop["event_a"], {shop["regular"].pk: 1, balcony.pk: 2})
    order = place_order(reservation, buyer_name="Ada", buyer_email="ada@x.example", language="en")
    payment = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    sync_payment(payment.mollie_id)
    balcony_line = order.lines.get(ticket_type=balcony)
    client.force_login(shop["member"])

    response = confirm_refund(client, order, what="tickets", lines=[str(balcony_line.pk)])

    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("20.00")
    by_line = {t.line_id: t.status for t in Ticket.objects.filter(order=order)}
    assert set(Ticket.objects.filter(line=balcony_line).values_list("status", flat=True)) == {
        "refunded"
    }
    assert Ticket.objects.filter(order=order, status="valid").count() == 1
    assert by_line[order.lines.get(ticket_type=shop["regular"]).pk] == "valid"


def test_a_goodwill_amount_refund_leaves_every_ticket_valid(client, shop, mollie, three_tickets):
    order, payment, tickets = three_tickets
    client.force_login(shop["member"])

    response = confirm_refund(
        client, order, what="amount", amount="5.00", refundable_before="73.50"
    )

    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("5.00") and not refund.tickets.exists()
    assert all(scan(t).accepted for t in tickets)


def test_the_refund_form_shows_tickets_and_lines_and_confirms_what_will_happen(
    client, shop, three_tickets
):
    order, _payment, tickets = three_tickets
    client.force_login(shop["member"])
    url = reverse("weticket_orders:refund", args=[order.pk])

    page = text(client.get(url))
    assert tickets[0].code in page and "Regular (3 valid)" in page
    review = client.post(url, {"what": "tickets", "tickets": [str(tickets[0].pk)]})

    words = text(review)
    assert "pay back € 24.50" in words.replace("\xa0", " ") or "24.50" in words
    assert "refused at the entrance" in words
    assert Ticket.objects.get(pk=tickets[0].pk).status == "valid"  # not before confirming


def test_a_ticket_price_is_never_more_than_what_is_still_refundable(shop, mollie, three_tickets):
    order, payment, tickets = three_tickets
    from weticket_wagtail.payments.services import refund_payment

    refund_payment(payment, Decimal("60.00"))  # goodwill: € 13.50 left

    refund = refund_tickets(order, [tickets[0].pk])

    assert refund.amount == Decimal("13.50")
    assert Ticket.objects.get(pk=tickets[0].pk).status == "refunded"


def test_a_ticket_is_refunded_once(shop, mollie, three_tickets):
    order, _payment, tickets = three_tickets
    refund_tickets(order, [tickets[0].pk])

    from weticket_wagtail.payments.errors import RefundError

    with pytest.raises(RefundError, match="meanwhile"):
        refund_tickets(order, [tickets[0].pk, tickets[1].pk])

    assert Refund.objects.count() == 1
    assert Ticket.objects.get(pk=tickets[1].pk).status == "valid"  # rolled back with it


def test_refunding_the_whole_order_refunds_every_ticket(client, shop, mollie, three_tickets):
    order, payment, tickets = three_tickets
    client.force_login(shop["member"])

    confirm_refund(client, order, what="amount", amount="73.50", refundable_before="73.50")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert {scan(t).reason for t in tickets} == {"refunded"}


def test_a_ticket_refund_mollie_cannot_take_keeps_the_ticket_refunded_and_is_sent_later(
    client, shop, mollie, three_tickets
):
    order, payment, tickets = three_tickets
    mollie.fail_next(1, "500", paths_prefix=f"/v2/payments/{payment.mollie_id}/refunds")
    client.force_login(shop["member"])

    response = confirm_refund(client, order, what="tickets", tickets=[str(tickets[2].pk)])

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.is_owed and not mollie.refunds
    assert scan(tickets[2]).reason == "refunded"
    Refund.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_owed_refunds() == 1
    assert send_owed_refunds() == 0
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["24.50"]


def test_a_ticket_refund_that_fails_at_mollie_later_is_owed_again_for_the_same_tickets(
    shop, mollie, three_tickets
):
    order, payment, tickets = three_tickets
    refund = refund_tickets(order, [tickets[0].pk])
    mollie.set_refund_status(refund.mollie_id, "failed", notify=False)

    sync_payment(payment.mollie_id)

    again = Refund.objects.exclude(pk=refund.pk).get()
    assert again.is_owed and again.amount == Decimal("24.50")
    assert list(again.tickets.all()) == [tickets[0]]
    assert Ticket.objects.get(pk=tickets[0].pk).status == "refunded"


def test_the_buyer_sees_a_refunded_ticket_as_refunded(client, shop, mollie, three_tickets):
    order, _payment, tickets = three_tickets
    refund_tickets(order, [tickets[1].pk])

    page = text(client.get(reverse("weticket_checkout:order", args=[order.token])))

    assert "Refunded: this ticket is no longer valid." in page
    assert page.count("Refunded: this ticket is no longer valid.") == 1
    html = client.get(reverse("weticket_checkout:order", args=[order.token])).content.decode()
    assert html.count("<svg") == 2  # QR codes for the two valid tickets only


def test_the_ticket_pdf_marks_a_refunded_ticket(shop, mollie, three_tickets):
    import io

    import pypdf

    from weticket_wagtail.ticketing.services.tickets import order_pdf

    order, _payment, tickets = three_tickets
    refund_tickets(order, [tickets[1].pk])

    reader = pypdf.PdfReader(io.BytesIO(order_pdf(order)))
    pages = [page.extract_text() for page in reader.pages]

    assert len(pages) == 3
    assert ["no longer valid" in page for page in pages] == [False, True, False]


def test_another_organisations_staff_cannot_refund_a_ticket(client, shop, mollie, three_tickets):
    order_b = shop["order_b"]
    ticket_b = order_b.tickets.first()
    client.force_login(shop["member"])

    response = confirm_refund(client, order_b, what="tickets", tickets=[str(ticket_b.pk)])

    assert response.status_code in (403, 404)
    assert Ticket.objects.get(pk=ticket_b.pk).status == "valid"
