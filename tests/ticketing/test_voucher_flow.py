"""Vouchers end to end (issue #13 item 2): a buyer enters a code in the shop, by a ``?voucher=``
link (also in the embed) or typed into the shop form, sees the discounted price and the ticket
types it unlocks, pays Mollie the discounted total, finds the code and the discount on the order
page, in the confirmation email and on the ticket PDF, and is refunded at most what was paid.

The shop page cache (``checkout.pagecache``) is shared between visitors: a page with a voucher
must never reach it, nor be served instead of the voucher's page.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from weticket_wagtail.mail.attachments import resolve_attachment
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.money import format_money
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.services import (
    RefundError,
    refund_payment,
    refund_tickets,
    start_payment,
    sync_payment,
)
from weticket_wagtail.testing.factories import MembershipFactory
from weticket_wagtail.ticketing.models import (
    Order,
    Reservation,
    ReservationLine,
    Ticket,
    TicketType,
    Voucher,
)
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.services.vouchers import find_voucher, uses

from ..payments.conftest import admin_user

pytestmark = pytest.mark.django_db

SHOP = "/tickets/test-org/jazz-night/"
EMBED = "/tickets/embed/test-org/jazz-night/"
PARTNER = "https://partner.example"


def money(amount: str) -> str:
    with translation.override("en"):
        return format_money(Decimal(amount))


def text(response_or_html) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed, entities as typed."""
    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    plain = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\xa0", " ")
    return " ".join(plain.replace("&#x27;", "'").replace("&quot;", '"').split())


def input_value(html: str, name: str) -> str | None:
    """The value of the input called ``name`` in ``html`` (None when there is no such input)."""
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if not found:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def row_price(html: str, name: str) -> str:
    """The price cell of the ticket type called ``name``, as text."""
    row = re.search(
        rf'weticket-type__name">{re.escape(name)}<.*?weticket-type__price">(.*?)</td>', html, re.S
    )
    assert row, f"no row for {name!r}"
    return text(row.group(1))


def url(base: str, **params) -> str:
    from urllib.parse import urlencode

    return f"{base}?{urlencode(params)}" if params else base


@pytest.fixture
def deal(on_sale):
    """Jazz Night with a hidden Crew type; SUMMER takes € 4.50 off Regular (24.50 → 20.00),
    CREW sells the hidden Crew type (list € 30.00) for € 5.00. The embed is allowed on PARTNER.
    """
    organisation = on_sale["organisation"]
    organisation.embed_origins = PARTNER
    organisation.save()
    event, regular = on_sale["event"], on_sale["regular"]
    crew = TicketType.objects.create(
        event=event,
        name="Crew",
        price=Decimal("30.00"),
        vat_rate=Decimal("9.00"),
        capacity=5,
        max_per_order=4,
        requires_voucher=True,
    )
    summer = Voucher.objects.create(
        organisation=organisation,
        code="SUMMER",
        kind=Voucher.Kind.FIXED,
        value=Decimal("4.50"),
        max_uses=10,
    )
    summer.ticket_types.set([regular])
    crew_code = Voucher.objects.create(
        organisation=organisation,
        code="CREW",
        kind=Voucher.Kind.SET_PRICE,
        value=Decimal("5.00"),
        unlocks_hidden=True,
        max_uses=5,
    )
    crew_code.ticket_types.set([crew])
    return {**on_sale, "crew": crew, "summer": summer, "crew_code": crew_code}


def embed(**params) -> str:
    return url(EMBED, parent=PARTNER, **params)


# --- entering a code ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["shop", "embed"])
def test_a_voucher_link_shows_the_discounted_price(client, deal, page):
    link = url(SHOP, voucher="summer") if page == "shop" else embed(voucher="summer")

    response = client.get(link)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Voucher SUMMER applied." in text(response)
    assert row_price(html, "Regular") == f"Was {money('24.50')} {money('20.00')}"
    assert row_price(html, "Student") == money("15.00")  # SUMMER is for Regular only
    assert "Crew" not in html  # SUMMER does not unlock anything
    assert input_value(html, "voucher") == "SUMMER"  # the form carries it to the reservation
    if page == "embed":
        assert PARTNER in response["Content-Security-Policy"]


@pytest.mark.parametrize("page", ["shop", "embed"])
def test_a_voucher_link_unlocks_the_hidden_ticket_type(client, deal, page):
    assert "Crew" not in client.get(SHOP if page == "shop" else embed()).content.decode()
    link = url(SHOP, voucher="CREW") if page == "shop" else embed(voucher="CREW")

    html = client.get(link).content.decode()

    assert row_price(html, "Crew") == f"Was {money('30.00')} {money('5.00')}"
    assert f'name="quantity_{deal["crew"].pk}"' in html
    assert row_price(html, "Regular") == money("24.50")


def test_a_code_typed_into_the_shop_form_is_applied_keeping_the_chosen_quantities(client, deal):
    regular, student = deal["regular"], deal["student"]
    typed = {f"quantity_{regular.pk}": "2", f"quantity_{student.pk}": "1", "voucher": " summer "}

    applied = client.post(SHOP, {**typed, "apply_voucher": "1"})

    assert applied.status_code == 200
    assert not Reservation.objects.exists()  # applying a code holds nothing
    html = applied.content.decode()
    assert "Voucher SUMMER applied." in text(applied)
    assert row_price(html, "Regular") == f"Was {money('24.50')} {money('20.00')}"
    assert input_value(html, f"quantity_{regular.pk}") == "2"
    assert input_value(html, f"quantity_{student.pk}") == "1"
    assert input_value(html, "voucher") == "SUMMER"

    reserved = client.post(SHOP, {**typed, "voucher": input_value(html, "voucher")})

    assert reserved.status_code == 302
    checkout = client.get(reserved["Location"])
    page = text(checkout)
    assert f"2 × Regular {money('24.50')} {money('20.00')} (voucher SUMMER)" in page
    assert f"1 × Student {money('15.00')}" in page
    assert f"Total {money('55.00')}" in page


def test_a_code_typed_in_the_embedded_shop_stays_in_the_frame(client, deal):
    """The embed's form posts to the shop with ``?parent=``: the answer may be framed there."""
    regular = deal["regular"]
    html = client.get(embed()).content.decode()
    assert input_value(html, "voucher") == ""  # the embed offers the field

    applied = client.post(
        url(SHOP, parent=PARTNER),
        {f"quantity_{regular.pk}": "1", "voucher": "summer", "apply_voucher": "1"},
    )

    assert applied.status_code == 200
    assert PARTNER in applied["Content-Security-Policy"]
    assert row_price(applied.content.decode(), "Regular").endswith(money("20.00"))
    reserved = client.post(
        url(SHOP, parent=PARTNER), {f"quantity_{regular.pk}": "1", "voucher": "SUMMER"}
    )
    assert reserved.status_code == 302
    assert reserved["Location"].endswith(
        f"?parent={PARTNER.replace(':', '%3A').replace('/', '%2F')}"
    )


def test_a_hidden_type_unlocked_by_a_typed_code_is_reserved_at_the_voucher_price(client, deal):
    crew = deal["crew"]

    without = client.post(SHOP, {f"quantity_{crew.pk}": "2"})
    assert "One of the chosen ticket types is not available." in text(without)
    html = client.post(SHOP, {"voucher": "crew", "apply_voucher": "1"}).content.decode()
    assert row_price(html, "Crew").endswith(money("5.00"))

    reserved = client.post(SHOP, {f"quantity_{crew.pk}": "2", "voucher": "CREW"})

    assert reserved.status_code == 302
    line = ReservationLine.objects.get()
    assert (line.ticket_type_id, line.quantity, line.voucher_id) == (
        crew.pk,
        2,
        deal["crew_code"].pk,
    )
    assert f"2 × Crew {money('30.00')} {money('5.00')}" in text(client.get(reserved["Location"]))


@pytest.mark.parametrize("button", ["reserve", "apply"])
def test_an_invalid_typed_code_says_why_and_keeps_everything_the_buyer_typed(client, deal, button):
    regular, student = deal["regular"], deal["student"]
    posted = {f"quantity_{regular.pk}": "3", f"quantity_{student.pk}": "1", "voucher": "Sumer"}
    if button == "apply":
        posted["apply_voucher"] = "1"

    response = client.post(SHOP, posted)

    assert response.status_code == 400
    html = response.content.decode()
    assert text(response).count("This voucher code is not valid for this event.") == 1
    assert 'aria-invalid="true" aria-describedby="weticket-voucher-error-' in html
    assert input_value(html, f"quantity_{regular.pk}") == "3"
    assert input_value(html, f"quantity_{student.pk}") == "1"
    assert input_value(html, "voucher") == "Sumer"
    assert row_price(html, "Regular") == money("24.50")  # no discount from a refused code
    assert not Reservation.objects.exists()  # and nothing held at the full price either


@pytest.mark.parametrize("page", ["shop", "embed"])
def test_a_refused_voucher_link_says_why_and_keeps_the_code_to_correct(client, deal, page):
    Voucher.objects.filter(pk=deal["summer"].pk).update(
        valid_until=timezone.now() - timedelta(minutes=1)
    )
    link = url(SHOP, voucher="summer") if page == "shop" else embed(voucher="summer")

    response = client.get(link)

    assert response.status_code == 200
    assert "This voucher has expired." in text(response)
    assert "applied" not in text(response)
    html = response.content.decode()
    assert input_value(html, "voucher") == "summer"
    assert row_price(html, "Regular") == money("24.50")


def test_a_used_up_code_is_refused_when_reserving_with_the_reason(client, deal):
    Voucher.objects.filter(pk=deal["crew_code"].pk).update(max_uses=1)
    crew = deal["crew"]

    response = client.post(SHOP, {f"quantity_{crew.pk}": "2", "voucher": "CREW"})

    assert "This voucher can be used for 1 more ticket only." in text(response)
    assert input_value(response.content.decode(), f"quantity_{crew.pk}") == "2"
    assert not ReservationLine.objects.exists()


# --- the shared page cache ----------------------------------------------------------------------


def plain_visitor() -> Client:
    return Client()


@pytest.mark.parametrize("page", ["shop", "embed"])
@pytest.mark.parametrize("code", ["SUMMER", "CREW"])
def test_a_voucher_page_is_never_shown_to_a_visitor_without_the_code(client, deal, page, code):
    plain = SHOP if page == "shop" else embed()
    with_code = url(SHOP, voucher=code) if page == "shop" else embed(voucher=code)
    for _ in range(2):  # the second look would come from the cache, if it were stored
        html = client.get(with_code).content.decode()
        assert f"Voucher {code} applied." in html

    for visitor in (plain_visitor(), plain_visitor()):  # the first stores the page, the next reads
        html = visitor.get(plain).content.decode()
        assert "applied" not in html
        assert "Crew" not in html and money("5.00") not in html
        assert row_price(html, "Regular") == money("24.50")
    with CaptureQueriesContext(connection) as captured:
        again = plain_visitor().get(plain).content.decode()
    assert captured.captured_queries == []  # from the shared cache: and still without the code
    assert "Crew" not in again and money("20.00") not in again


@pytest.mark.parametrize("page", ["shop", "embed"])
def test_a_cached_page_is_not_shown_instead_of_the_voucher_price(client, deal, page):
    """SUMMER shows the same rows as the plain page: only the prices tell them apart."""
    plain = SHOP if page == "shop" else embed()
    plain_visitor().get(plain)
    plain_visitor().get(plain)  # stored and served

    response = client.get(
        url(SHOP, voucher="SUMMER") if page == "shop" else embed(voucher="SUMMER")
    )
    html = response.content.decode()

    assert "Voucher SUMMER applied." in html
    assert row_price(html, "Regular") == f"Was {money('24.50')} {money('20.00')}"


def test_a_code_applied_in_the_form_or_held_tickets_leave_the_shared_page_alone(client, deal):
    crew = deal["crew"]
    client.post(SHOP, {"voucher": "CREW", "apply_voucher": "1"})
    client.post(SHOP, {f"quantity_{crew.pk}": "1", "voucher": "CREW"})
    assert ReservationLine.objects.filter(ticket_type=crew).exists()

    for _ in range(2):
        html = plain_visitor().get(SHOP).content.decode()
        assert "Crew" not in html and "applied" not in html


# --- paying, the order, the email and the PDF ---------------------------------------------------


def pdf_text(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_mollie_gets_the_discounted_total_and_the_discount_is_on_order_email_and_pdf(
    client, mollie, deal
):
    regular, student = deal["regular"], deal["student"]
    reserved = client.post(
        SHOP, {f"quantity_{regular.pk}": "2", f"quantity_{student.pk}": "1", "voucher": "summer"}
    )
    to_mollie = client.post(
        reserved["Location"], {"buyer_name": "Zoë de Vries", "buyer_email": "zoe@example.org"}
    )
    assert to_mollie.status_code == 303

    order = Order.objects.get()
    assert order.total == Decimal("55.00")  # 2 × 20.00 + 15.00
    payment = Payment.objects.get()
    assert payment.amount == Decimal("55.00")
    assert mollie.payments[payment.mollie_id]["amount"] == {"currency": "EUR", "value": "55.00"}

    mollie.set_status(payment.mollie_id, "paid", method="ideal", notify=False)
    client.get(reverse("weticket_checkout:order_return", args=[order.token]))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    page = text(client.get(reverse("weticket_checkout:order", args=[order.token])))
    assert (
        f"2 × Regular {money('49.00')} Discount (voucher SUMMER) −{money('9.00')} "
        f"1 × Student {money('15.00')} Total {money('55.00')}"
    ) in page

    email = OutboxMessage.objects.get(topic="order_confirmation")
    assert (
        f"2 × Regular: {money('49.00')} (discount with voucher SUMMER: −{money('9.00')})"
        in email.body_text
    )
    assert f"1 × Student: {money('15.00')}\n" in email.body_text
    assert f"Total: {money('55.00')}" in email.body_text
    assert f"Discount (voucher SUMMER) −{money('9.00')}" in text(email.body_html)

    # The PDF the email carries (made when sent) and the one on the order page.
    [spec] = email.attachments
    _name, attached, mimetype = resolve_attachment(spec)
    assert mimetype == "application/pdf"
    downloaded = client.get(reverse("weticket_checkout:order_pdf", args=[order.token])).content
    for content in (attached, downloaded):
        pages = pdf_text(content)
        assert len(pages) == 3
        discounted = [p for p in pages if "Regular" in p]
        assert len(discounted) == 2
        for ticket_page in discounted:
            assert f"{money('20.00')} (voucher SUMMER, was {money('24.50')})" in ticket_page, (
                ticket_page
            )
        [full_price] = [p for p in pages if "Student" in p]
        assert money("15.00") in full_price and "voucher" not in full_price


def test_a_retried_payment_asks_mollie_for_the_discounted_total_again(client, mollie, deal):
    regular = deal["regular"]
    reserved = client.post(SHOP, {f"quantity_{regular.pk}": "2", "voucher": "SUMMER"})
    client.post(reserved["Location"], {"buyer_name": "Ada", "buyer_email": "ada@example.org"})
    order = Order.objects.get()
    first = Payment.objects.get()
    mollie.set_status(first.mollie_id, "failed", notify=False)
    sync_payment(first.mollie_id)
    Voucher.objects.filter(pk=deal["summer"].pk).update(value=Decimal("10.00"))  # edited since

    retried = client.post(reverse("weticket_checkout:order_pay", args=[order.token]))

    assert retried.status_code == 303
    second = Payment.objects.exclude(pk=first.pk).get()
    assert mollie.payments[second.mollie_id]["amount"]["value"] == "40.00"  # the order's price
    mollie.set_status(second.mollie_id, "paid", notify=False)
    sync_payment(second.mollie_id)
    order.refresh_from_db()
    assert (order.status, order.total) == (Order.Status.PAID, Decimal("40.00"))
    assert order.lines.get().voucher_code == "SUMMER"
    assert uses(deal["summer"].pk) == 2  # the failed attempt's hold gave its uses back


# --- refunds ------------------------------------------------------------------------------------


def paid_with_voucher(mollie, event, quantities, code) -> tuple[Order, Payment]:
    reservation = reserve_tickets(event, quantities, voucher=find_voucher(event, code).voucher)
    order = place_order(reservation, buyer_name="Ada", buyer_email="ada@example.org", language="en")
    payment = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(payment.mollie_id, "paid", method="ideal", notify=False)
    sync_payment(payment.mollie_id)
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order, payment


@pytest.fixture
def discounted_order(mollie, deal):
    """Ada paid € 55.00: two Regular tickets at € 20.00 with SUMMER and a Student at € 15.00."""
    regular, student = deal["regular"], deal["student"]
    order, payment = paid_with_voucher(
        mollie, deal["event"], {regular.pk: 2, student.pk: 1}, "SUMMER"
    )
    assert payment.amount == Decimal("55.00")
    tickets = {
        "regular": list(order.tickets.filter(line__ticket_type=regular).order_by("pk")),
        "student": list(order.tickets.filter(line__ticket_type=student)),
    }
    return order, payment, tickets


def test_refunding_a_discounted_ticket_pays_back_what_was_paid_for_it(mollie, discounted_order):
    order, payment, tickets = discounted_order

    first = refund_tickets(order, [tickets["regular"][0].pk])

    assert first.amount == Decimal("20.00")  # not the list price of 24.50
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["20.00"]
    rest = refund_tickets(order, [tickets["regular"][1].pk, tickets["student"][0].pk])
    assert rest.amount == Decimal("35.00")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.amount_refunded == order.amount_refunded == Decimal("55.00") == payment.amount
    with pytest.raises(RefundError, match="At most"):
        refund_payment(payment, Decimal("0.01"))
    assert sum(Decimal(r["amount"]["value"]) for r in mollie.refunds.values()) == Decimal("55.00")


def test_a_ticket_refund_after_a_goodwill_amount_is_capped_at_what_is_left(
    mollie, discounted_order
):
    order, payment, tickets = discounted_order
    refund_payment(payment, Decimal("50.00"))

    refund = refund_tickets(order, [tickets["regular"][0].pk])

    assert refund.amount == Decimal("5.00")
    with pytest.raises(RefundError, match="At most"):
        refund_payment(payment, Decimal("0.01"))
    assert Ticket.objects.get(pk=tickets["regular"][0].pk).status == Ticket.Status.REFUNDED


def test_the_refund_form_offers_and_refunds_the_discounted_prices(client, mollie, discounted_order):
    order, payment, tickets = discounted_order
    member = admin_user("member-jazz")
    MembershipFactory(organisation=order.organisation, user=member)
    client.force_login(member)
    refund_url = reverse("weticket_orders:refund", args=[order.pk])

    form = text(client.get(refund_url))

    assert f"{tickets['regular'][0].code}" in form and money("20.00") in form
    assert money("24.50") not in form  # the list price is never offered back
    regular_line = order.lines.get(ticket_type=tickets["regular"][0].line.ticket_type)

    too_much = client.post(
        refund_url,
        {"confirm": "1", "what": "amount", "amount": "55.01", "refundable_before": "55.00"},
    )
    assert too_much.status_code == 200 and not Refund.objects.exists()
    response = client.post(
        refund_url, {"confirm": "1", "what": "tickets", "lines": [str(regular_line.pk)]}
    )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount == Decimal("40.00")
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["40.00"]


def test_the_order_in_the_admin_shows_the_voucher_and_the_list_price(client, discounted_order):
    order, _payment, _tickets = discounted_order
    member = admin_user("member-jazz")
    MembershipFactory(organisation=order.organisation, user=member)
    client.force_login(member)

    page = text(client.get(reverse("weticket_orders:inspect", args=[order.pk])))

    assert f"Regular 2 {money('20.00')} (voucher SUMMER, was {money('24.50')})" in page
    assert f"Student 1 {money('15.00')} 9%" in page


def test_a_free_voucher_order_has_nothing_to_refund(deal):
    Voucher.objects.filter(pk=deal["crew_code"].pk).update(value=Decimal("0"))
    event = deal["event"]
    reservation = reserve_tickets(
        event, {deal["crew"].pk: 1}, voucher=find_voucher(event, "crew").voucher
    )
    order = place_order(reservation, buyer_name="Bo", buyer_email="bo@example.org", language="en")
    assert order.status == Order.Status.PAID and order.total == Decimal("0.00")

    with pytest.raises(RefundError):
        refund_tickets(order, [order.tickets.get().pk])
    assert not Refund.objects.exists()
