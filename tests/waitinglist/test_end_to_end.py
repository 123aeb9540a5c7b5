"""The waiting list end to end: real HTTP views on a live server, PostgreSQL, the outbox sent
over SMTP to a loopback sink, the Mollie double, and a clock moved forward for the expiry.

A freed ticket is offered to the first person, their offer expires, it moves to the second,
who buys it; nobody is offered a ticket twice and the stock ends exactly right."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weticket_wagtail.ticketing.models import Order, ReservationLine, Ticket
from weticket_wagtail.waitinglist.models import WaitingListEntry

from .conftest import Person, link_in, mails_to, run_beat

Status = WaitingListEntry.Status


def live_holds(ticket_type, now) -> int:
    return sum(
        ReservationLine.objects.filter(
            ticket_type=ticket_type, is_live=True, expires_at__gt=now
        ).values_list("quantity", flat=True)
    )


@pytest.fixture
def one_student_ticket(on_sale):
    """The student ticket type has one ticket."""
    student = on_sale["student"]
    student.capacity = 1
    student.save()
    return student


@pytest.fixture
def site(live_server, settings, mollie, smtp_sink, require_postgres):
    settings.WETICKET = {**settings.WETICKET, "PUBLIC_BASE_URL": live_server.url}
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_freed_ticket_goes_to_first_expires_moves_to_second_who_buys_it(
    site, smtp_sink, mollie, clock, on_sale, one_student_ticket
):
    student = one_student_ticket
    shop_url = f"{site}/tickets/test-org/jazz-night/"

    # A buyer holds the only student ticket: the shop offers the waiting list.
    holder = Person("holder@example.org", site, smtp_sink)
    shop = holder.browser.get(shop_url)
    held = holder.post_form(shop_url, shop.text, {f"quantity_{student.pk}": "1"})
    assert held.status_code == 200 and "/tickets/checkout/" in held.url

    first = Person("first@example.org", site, smtp_sink)
    second = Person("second@example.org", site, smtp_sink)
    for person in (first, second):
        joined = person.join(shop_url, student)
        assert joined.status_code == 200 and "waiting list" in joined.text
    smtp_sink.wait_for(2)
    # Double opt-in: each confirms through the link in their email, first before second.
    for person in (first, second):
        confirmed = person.confirm_from_email()
        assert confirmed.status_code == 200 and "You are on the waiting list" in confirmed.text
    entries = {e.email: e for e in WaitingListEntry.objects.all()}
    assert entries[first.email].status == entries[second.email].status == Status.WAITING
    assert first.offers() == second.offers() == []

    # The holder walks away: their hold runs out and beat's sweeps free it.
    clock.advance(minutes=16)
    run_beat()
    smtp_sink.wait_for(3)
    assert len(first.offers()) == 1 and second.offers() == []
    entry = WaitingListEntry.objects.get(email=first.email)
    assert entry.status == Status.OFFERED
    assert live_holds(student, clock()) == 1  # held for the first person, nobody else

    # The shop now shows the ticket taken: someone else cannot buy it.
    other = Person("other@example.org", site, smtp_sink)
    shop = other.browser.get(shop_url)
    taken = other.post_form(shop_url, shop.text, {f"quantity_{student.pk}": "1"})
    assert "/tickets/checkout/" not in taken.url

    # The first person does nothing. Their offer runs out; the sweeps move it to the second.
    clock.move_to(entry.offer_expires_at + timedelta(minutes=1))
    run_beat()
    smtp_sink.wait_for(4)
    assert len(second.offers()) == 1 and len(first.offers()) == 1
    gone = first.browser.get(link_in(first.offers()[0], "/offer/"))
    assert gone.status_code == 410 and "no longer open" in gone.text

    # The second follows the link from their email, checks out and pays at Mollie.
    page, mollie_url = second.checkout_from_offer("Second Person")
    assert mollie_url.startswith(mollie.base_url)
    back = second.pay_at_mollie(mollie_url)
    assert back.status_code == 200 and "Paid" in back.text
    order = Order.objects.get(buyer_email=second.email)
    assert order.status == Order.Status.PAID

    # Later sweeps (the next minutes, the next day) change nothing and mail nobody again.
    for minutes in (1, 60 * 25):
        clock.advance(minutes=minutes)
        run_beat()
    entries = {e.email: e for e in WaitingListEntry.objects.all()}
    assert entries[first.email].status == Status.EXPIRED
    assert entries[second.email].status == Status.BOUGHT
    assert len(first.offers()) == 1 and len(second.offers()) == 1
    assert len(mails_to(smtp_sink, second.email, order.reference)) == 1  # the tickets
    assert [m["To"] for m in smtp_sink.messages].count(first.email) == 2  # confirm + offer

    student.refresh_from_db()
    assert student.sold_count == 1 == student.capacity
    assert live_holds(student, clock()) == 0
    assert Ticket.objects.filter(line__ticket_type=student).count() == 1
    assert not Order.objects.exclude(pk=order.pk).filter(status=Order.Status.PAID).exists()
