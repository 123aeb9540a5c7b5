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


@pytest.mark.parametrize("language,locale", [("en", "nl-NL"), ("nl", "en-GB")])
def test_a_policy_change_emails_links_open_in_the_recipients_language(
    browser, live_server, shop_settings, language, locale
):
    """A material change emails a buyer whose order was in ``language``; opened in a browser
    that prefers the other language, the statement and its diff come in the email's."""
    from ..test_link_languages import BASE, links_in, material_change_for_a_buyer

    shop_settings.ROOT_URLCONF = "demo.urls"
    call_command("weticket_demo", stdout=io.StringIO())
    message = material_change_for_a_buyer(language, "nl" if language == "en" else "en")
    links = [link for link in links_in(message) if "/privacy/" in link]
    assert links, message.body_text
    context = browser.new_context(locale=locale)
    tab = context.new_page()
    for link in links:
        tab.goto(link.replace(BASE, live_server.url))
        expect(tab.locator("html")).to_have_attribute("lang", language)
        assert f"/{language}/" in tab.url
    tab.goto(
        next(link for link in links if link.rstrip("/").endswith("privacy")).replace(
            BASE, live_server.url
        )
    )
    expect(tab.get_by_text("One more sentence.")).to_be_visible()
    context.close()
