"""Accessibility basics of the ticket selector, checked in a real browser: names, keyboard,
announced errors, visible focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return {tag: el.tagName, id: el.id, role: el.getAttribute('role'),"
        " text: el.textContent.trim()}; }"
    )


def test_ticket_selector_is_usable_by_keyboard_and_screen_reader(new_page, live_server, on_sale):
    regular, student = on_sale["regular"], on_sale["student"]
    page = new_page()
    page.goto(f"{live_server.url}/tickets/jazz-aan-zee/jazz-night/")

    # Every quantity input has an accessible name (from its visually hidden label).
    by_role = page.get_by_role("spinbutton", name="Number of “Regular” tickets")
    expect(by_role).to_have_id(f"id_quantity_{regular.pk}")
    expect(page.get_by_label("Number of “Student” tickets")).to_have_id(f"id_quantity_{student.pk}")
    expect(page.get_by_role("spinbutton")).to_have_count(2)
    # ... and the scarcity note as its description.
    expect(page.get_by_label("Number of “Student” tickets")).to_have_accessible_description(
        "Only 8 left"
    )

    # Keyboard only: the skip link, both quantities, then the button; Enter submits.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == f"id_quantity_{regular.pk}"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == f"id_quantity_{student.pk}"
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Reserve tickets")
    expect(button).to_be_focused()

    # The focused button shows a clear outline (3px, the accent colour).
    outline = button.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {style: s.outlineStyle, width: s.outlineWidth, colour: s.outlineColor}; }"
    )
    assert outline["style"] != "none" and outline["width"] != "0px", outline
    assert outline == {"style": "solid", "width": "3px", "colour": "rgb(180, 83, 9)"}

    # Submitting nothing: the error is announced (role=alert) and focus moves to it.
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Choose at least one ticket.")
    expect(alert).to_be_focused()

    # From the error, Tab leads straight back into the form: choose two, submit with Enter.
    page.keyboard.press("Tab")
    expect(by_role).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    expect(by_role).to_have_value("2")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    expect(page.get_by_text("2 × Regular")).to_be_visible()
    # The contact fields are labelled too.
    expect(page.get_by_role("textbox", name="Name")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email")).to_be_visible()


def test_the_email_help_text_describes_the_email_field(new_page, live_server, on_sale):
    reservation = reserve_tickets(on_sale["event"], {on_sale["regular"].pk: 1})
    page = new_page()
    page.goto(f"{live_server.url}/tickets/checkout/{reservation.token}/")
    expect(page.get_by_role("textbox", name="Email")).to_have_accessible_description(
        "Your tickets are sent here.", timeout=1_000
    )
