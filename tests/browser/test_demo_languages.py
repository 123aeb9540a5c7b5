"""The demo in an English and in a Dutch browser: from the home page, every shop opens in the
browser's language and offers tickets."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "locale,language,button",
    [("en-GB", "en", "Reserve tickets"), ("nl-NL", "nl", "Tickets reserveren")],
)
def test_every_shop_is_reached_from_the_home_page_in_the_browsers_language(
    browser, live_server, shop_settings, locale, language, button
):
    shop_settings.ROOT_URLCONF = "demo.urls"
    call_command("weticket_demo", stdout=io.StringIO())
    context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/{language}/")
    links = page.locator("main a.button, main nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == 3  # two events' shops and the branded ticket page
    for href in hrefs:
        assert href.startswith(f"/{language}/")
        page.goto(f"{live_server.url}{href}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("button", name=button).first).to_be_visible()
        assert page.locator("input.weticket-qty").count() >= 3
    context.close()
