"""An organiser creates an event in the admin: typing the title fills in the slug."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from weticket_wagtail.testing.factories import OrganisationFactory
from weticket_wagtail.ticketing.models import Event

from .test_editor_and_visitor import EDITOR_PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_a_new_events_title_fills_in_its_slug(new_page, live_server, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", EDITOR_PASSWORD)
    organisation = OrganisationFactory(name="Stichting Plein", slug="plein")
    page = new_page()
    log_in(page, live_server.url, "editor", EDITOR_PASSWORD)
    page.goto(live_server.url + reverse("weticket_events:add"))
    page.get_by_role("button", name="Choose an organisation").click()
    chooser = page.get_by_role("dialog")
    chooser.get_by_role("link", name="Stichting Plein").click()
    expect(chooser).to_be_hidden()
    # The closing chooser hands focus back to its button; take it before typing, so no key
    # lands elsewhere on a slow machine.
    page.locator("#id_title").click()
    expect(page.locator("#id_title")).to_be_focused()
    page.locator("#id_title").press_sequentially("Jazz op het Plein: één avond", delay=20)
    expect(page.locator("#id_title")).to_have_value("Jazz op het Plein: één avond")
    expect(page.locator("#id_slug")).to_have_value("jazz-op-het-plein-een-avond")
    page.locator("#id_venue").fill("Het Plein")
    pickers = page.locator(".xdsoft_datetimepicker:visible")
    dates = (("#id_starts_at", "2030-06-01 20:00"), ("#id_ends_at", "2030-06-01 23:00"))
    for field, value in dates:
        page.locator(field).fill(value)
        # The picker opens a moment after the field takes focus; a click before it has opened
        # cannot close it. Wait for it, then close it by clicking elsewhere, as a person does:
        # an open picker covers the footer's button.
        expect(pickers).to_have_count(1)
        page.locator("#id_venue").click()
        expect(pickers).to_have_count(0)
    page.locator("footer").get_by_role("button", name="Create").click()
    expect(page.get_by_text("created")).to_be_visible()
    assert Event.objects.get(organisation=organisation).slug == "jazz-op-het-plein-een-avond"
