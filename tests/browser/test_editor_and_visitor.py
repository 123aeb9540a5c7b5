"""An editor puts a ticket shop on a page in the Wagtail admin; a visitor buys two tickets there.

Also the branded ticket page, as a visitor sees it. Both tests leave a screenshot for the
README in ``docs/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from wagtail.models import Page

from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.ticketing.models import Order, Ticket

from .conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITOR_PASSWORD = "editor-password-1"


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/admin/")


def pay_at_the_mollie_double(page, mollie_base_url: str, outcome: str = "Paid") -> None:
    """On the double's hosted checkout page, choose the outcome of the payment."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(mollie_base_url)}/checkout/tr_\w+$"))
    expect(page.get_by_role("heading", name="Test payment")).to_be_visible()
    page.get_by_role("button", name=outcome, exact=True).click()


def test_editor_adds_a_ticket_shop_and_a_visitor_buys_two_tickets(
    new_page, live_server, shop_settings, mollie_double, on_sale, home_page, django_user_model
):
    django_user_model.objects.create_superuser("editor", "editor@example.org", EDITOR_PASSWORD)
    event, regular = on_sale["event"], on_sale["regular"]

    # The editor: a new content page under the home page, with a "Ticket shop" block.
    editor = new_page()
    log_in(editor, live_server.url, "editor", EDITOR_PASSWORD)
    editor.goto(f"{live_server.url}/admin/pages/add/home/contentpage/{home_page.pk}/")
    editor.locator("#id_title").fill("Summer concerts")
    editor.get_by_role("button", name="Insert a block").click()
    editor.get_by_role("combobox", name="Search options").fill("Ticket")
    editor.get_by_role("option", name="Ticket shop").click()
    editor.get_by_role("button", name="Choose an event").click()
    chooser = editor.get_by_role("dialog")
    chooser.get_by_role("link", name="Jazz Night").click()
    expect(chooser).to_be_hidden()
    expect(editor.locator("input[name='body-0-value-event']")).to_have_value(str(event.pk))
    editor.locator("footer").get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Publish", exact=True).click()
    expect(editor.get_by_text("Page 'Summer concerts' created and published.")).to_be_visible()

    published = Page.objects.get(title="Summer concerts").specific
    assert published.live and published.body[0].block_type == "ticket_shop"
    assert published.body[0].value["event"] == event

    # A visitor (no admin session) opens the page and buys two regular tickets.
    visitor = new_page()
    visitor.goto(f"{live_server.url}{published.url}")
    shop = visitor.locator("section.weticket-block--shop")
    expect(shop.get_by_role("heading", name="Jazz Night")).to_be_visible()
    save_screenshot(visitor, "ticket-block.png")

    shop.get_by_role("spinbutton", name="Number of “Regular” tickets").fill("2")
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(visitor.get_by_role("heading", name="Your details")).to_be_visible()
    expect(visitor.get_by_text("2 × Regular")).to_be_visible()
    visitor.get_by_label("Name").fill("Zoë de Vries")
    visitor.get_by_label("Email").fill("zoe@example.org")
    visitor.get_by_role("button", name="Continue to payment").click()

    pay_at_the_mollie_double(visitor, mollie_double.base_url)

    order = Order.objects.get()
    expect(visitor).to_have_url(f"{live_server.url}/tickets/order/{order.token}/")
    expect(visitor.get_by_role("status")).to_have_text(re.compile(r"^\s*Paid\."))
    expect(visitor.locator(".weticket-tickets li")).to_have_count(2)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.buyer_email == "zoe@example.org"
    assert Ticket.objects.filter(order=order).count() == 2
    regular.refresh_from_db()
    assert regular.sold_count == 2


def test_branded_ticket_page_wears_the_organisations_colours(
    new_page, live_server, on_sale, home_page
):
    organisation, event = on_sale["organisation"], on_sale["event"]
    page = home_page.add_child(
        instance=BrandedTicketPage(
            title="Jazz aan Zee 2026",
            slug="jazz-aan-zee-2026",
            organisation=organisation,
            header_text="Music by the sea, every summer",
            intro="<p>Three evenings of jazz on the beach. <b>Bring a blanket.</b></p>",
            body=[
                ("event_details", {"event": event, "show_description": True}),
                (
                    "ticket_shop",
                    {"event": event, "heading": "Tickets", "button_text": "", "ticket_types": []},
                ),
            ],
            footer="<p>Stichting Jazz aan Zee · Boulevard 1, Zandvoort</p>",
        )
    )
    page.save_revision().publish()

    visitor = new_page()
    visitor.goto(f"{live_server.url}{page.url}")
    expect(visitor.get_by_role("heading", name="Jazz aan Zee 2026", level=1)).to_be_visible()
    expect(visitor.locator(".weticket-branded__header")).to_contain_text(
        "Music by the sea, every summer"
    )
    expect(visitor.get_by_role("spinbutton", name="Number of “Student” tickets")).to_be_visible()
    # The organisation's primary colour (#7c2d12) on the header and the button.
    brown = "rgb(124, 45, 18)"
    expect(visitor.locator(".weticket-branded__header")).to_have_css("background-color", brown)
    expect(visitor.get_by_role("button", name="Reserve tickets")).to_have_css(
        "background-color", brown
    )
    save_screenshot(visitor, "branded-page.png")
