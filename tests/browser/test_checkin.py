"""The door scanner in Chromium (typed codes, as a handheld scanner types them): a valid ticket,
a second scan of it, a forged code and a cancelled ticket; then offline scans, one of a ticket
another door let in meanwhile, which arrive once when the network is back and show the
conflict."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from weticket_wagtail.checkin import services
from weticket_wagtail.checkin.models import Checkin
from weticket_wagtail.ticketing.models import Ticket
from weticket_wagtail.ticketing.services.orders import void_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, text: str) -> None:
    page.get_by_label("Ticket code").fill(text)
    page.get_by_role("button", name="Check").click()


def test_the_scanner_answers_at_once_and_syncs_offline_scans_once(new_page, live_server):
    from tests.checkin.conftest import Door

    door = Door()
    valid, cancelled, later_one, elsewhere = (door.ticket() for _ in range(4))
    void_tickets(cancelled.order, [cancelled.pk], Ticket.Status.CANCELLED)
    page = new_page(width=480, height=900)
    scan_posts = []
    page.on(
        "request",
        lambda request: (
            scan_posts.append(request.post_data)
            if request.url.endswith("/scan/") and request.method == "POST"
            else None
        ),
    )
    page.goto(live_server.url + reverse("weticket_checkin:scanner", args=[door.device_a.token]))
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    result = page.locator("[data-wtc='result']")

    scan(page, door.token(valid))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(result).to_contain_text("Admitted")
    assert Checkin.objects.filter(ticket=valid, device=door.device_a).count() == 1

    scan(page, door.token(valid))
    expect(result).to_have_attribute("data-kind", "already")
    expect(result).to_contain_text("at entrance A")

    token = door.token(valid)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[::-1]}"
    scan(page, forged)
    expect(result).to_have_attribute("data-kind", "refused")
    expect(result).to_contain_text("not a genuine ticket")

    scan(page, door.token(cancelled))
    expect(result).to_have_attribute("data-kind", "refused")
    expect(result).to_contain_text("no longer valid")
    page.screenshot(path=str(SCREENSHOTS / "checkin-scanner.png"), full_page=True)

    # The network goes; meanwhile entrance B lets in the holder of `elsewhere`.
    page.context.set_offline(True)
    expect(page.locator("[data-wtc='network']")).to_contain_text("Offline")
    services.scan(door.scanner(door.device_b), door.token(elsewhere))
    posts_before = len(scan_posts)

    scan(page, door.token(later_one))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(result).to_contain_text("Offline")
    scan(page, door.token(elsewhere))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(page.locator("[data-wtc='queue']")).to_have_text("Scans waiting to be sent: 2.")
    assert not Checkin.objects.filter(ticket=later_one).exists()

    page.context.set_offline(False)
    expect(page.locator("[data-wtc='queue']")).to_have_text("All scans sent.")
    expect(page.locator("[data-wtc='conflicts']")).to_contain_text(
        f"Ticket {elsewhere.code}: already checked in at"
    )
    expect(page.locator("[data-wtc='conflicts']")).to_contain_text("at entrance B")

    # Each offline scan reached the server once; the earlier scan at B kept its place.
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("[data-wtc='queue']")).to_have_text("All scans sent.")
    sent = [post for post in scan_posts[posts_before:] if post]
    assert sum(post.count(door.token(later_one)) for post in sent) == 1
    assert Checkin.objects.filter(ticket=later_one, device=door.device_a).count() == 1
    assert list(Checkin.objects.filter(ticket=elsewhere).values_list("entrance", flat=True)) == [
        "B"
    ]
    assert Checkin.objects.count() == 3
