"""Cookie consent in a real browser, on the example site with its banner switched on.

Every request the page makes is recorded; anything not for our own site (localhost) is aborted
and kept in ``visitor.foreign``, so no request leaves the machine and the tests can say which
ones the page tried: Google Analytics' ``gtag.js`` on ``www.googletagmanager.com`` and the
video on ``www.youtube-nocookie.com``. Cookies are read from the browser context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from wagtail.models import Site

from weticket_wagtail.privacy.models import ConsentRecord, PrivacyStatementPage

from ..privacy.conftest import publish, section
from .conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
GOOGLE = re.compile(r"(^|\.)(google|googletagmanager|google-analytics|youtube|youtube-nocookie|"
                    r"doubleclick|gstatic|ytimg|googlevideo)\.com$")  # fmt: skip
FUNCTIONAL = {"csrftoken", "sessionid", "cookie_consent"}
ADMIN_PASSWORD = "consent-admin-1"


@dataclass
class Visitor:
    """A browser page whose requests are recorded, foreign ones aborted."""

    page: object
    foreign: list[str] = field(default_factory=list)

    def google(self) -> list[str]:
        return [url for url in self.foreign if GOOGLE.search(urlsplit(url).hostname or "")]

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.page.context.cookies()}

    def banner(self):
        return self.page.get_by_role("region", name=re.compile("Cookies"))


@pytest.fixture
def consent_site(live_server, home_page, consent_groups):
    """The example site's consent set-up: banner on, Google Analytics with a demo id, the
    video page, and a privacy statement (version 1)."""
    from home.demo_consent import seed_consent

    site = Site.objects.get(is_default_site=True)
    video = seed_consent(home_page, site)
    statement = home_page.add_child(
        instance=PrivacyStatementPage(
            title="Privacy statement",
            slug="privacy",
            body=[section("Cookies", "<p>Our cookies.</p>", ("cookies", None))],
            live=False,
        )
    )
    publish(statement)
    return {"home": home_page, "video": video, "statement": statement, "site": site}


@pytest.fixture
def visitor(browser, live_server):
    """Make a visitor: a fresh browser context (no cookies) in ``locale``."""

    def make(locale: str = "en-GB") -> Visitor:
        context = browser.new_context(
            viewport={"width": 1200, "height": 800}, locale=locale, device_scale_factor=1
        )
        context.set_default_timeout(15_000)
        recorded = Visitor(page=None)

        def route(route):
            host = urlsplit(route.request.url).hostname
            if host in ("localhost", "127.0.0.1"):
                route.continue_()
            else:
                recorded.foreign.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        recorded.page = context.new_page()
        return recorded

    return make


def url(live_server, page) -> str:
    return f"{live_server.url}{page.url}"


def gtag_requested(visitor: Visitor) -> bool:
    return any("www.googletagmanager.com/gtag/js?id=G-WETICKET01" in u for u in visitor.foreign)


def mark_page(page) -> None:
    """A flag that a reload would lose: proves something happened without one."""
    page.evaluate("window.__noReload = true")


def consent_updates(page) -> list[dict]:
    return page.evaluate(
        "() => window.dataLayer.filter(a => a[0] === 'consent').map(a => ({what: a[1], ...a[2]}))"
    )


def test_first_visit_requests_nothing_from_google_and_reject_all_keeps_it_so(
    visitor, live_server, consent_site
):
    v = visitor()
    page = v.page
    page.goto(url(live_server, consent_site["home"]))
    expect(v.banner()).to_be_visible()
    assert v.google() == []
    assert set(v.cookies()) <= FUNCTIONAL - {"cookie_consent"}
    # Google Consent Mode: every storage denied before any tag.
    assert consent_updates(page)[0] == {
        "what": "default",
        "ad_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
        "analytics_storage": "denied",
        "functionality_storage": "granted",
        "security_storage": "granted",
        "wait_for_update": 500,
    }
    save_screenshot(page, "consent-banner.png")

    v.banner().get_by_role("button", name="Reject all").click()
    expect(v.banner()).to_be_hidden()
    record = ConsentRecord.objects.get()
    assert record.method == "reject_all" and set(record.declined) == {"analytics", "marketing"}
    assert record.ip_prefix == "127.0.0.0/24"
    assert "cookie_consent" in v.cookies() and set(v.cookies()) <= FUNCTIONAL

    page.reload()
    expect(page.locator("#weticket-consent-banner")).to_be_hidden()
    page.goto(url(live_server, consent_site["video"]))
    expect(page.get_by_role("button", name="Load this video once")).to_be_visible()
    assert page.locator("iframe").count() == 0
    page.goto(url(live_server, consent_site["statement"]))
    expect(page.get_by_role("heading", name="Privacy statement", exact=True)).to_be_visible()
    assert v.google() == []
    assert set(v.cookies()) <= FUNCTIONAL
    assert ConsentRecord.objects.count() == 1  # page views write nothing


def test_accepting_analytics_loads_it_at_once_and_withdrawing_stops_it(
    visitor, live_server, consent_site
):
    v = visitor()
    page = v.page
    page.goto(url(live_server, consent_site["home"]))
    mark_page(page)
    v.banner().get_by_role("button", name="Choose").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog).to_be_visible()
    analytics = dialog.get_by_role("switch", name="Analytics")
    marketing = dialog.get_by_role("switch", name="Marketing")
    expect(analytics).not_to_be_checked()  # nothing is pre-ticked
    expect(marketing).not_to_be_checked()
    expect(dialog.get_by_role("switch", name="Functional")).to_be_disabled()
    save_screenshot(page, "consent-dialog.png")
    analytics.check()
    dialog.get_by_role("button", name="Save my choice").click()
    expect(dialog).to_be_hidden()

    # At once, without a reload: gtag.js is asked for, Consent Mode updated.
    page.wait_for_function("() => !!document.querySelector('script[src*=\"gtag/js\"]')")
    assert page.evaluate("window.__noReload") is True
    page.wait_for_timeout(200)
    assert gtag_requested(v)
    assert consent_updates(page)[-1]["analytics_storage"] == "granted"
    assert consent_updates(page)[-1]["ad_storage"] == "denied"
    assert not any("youtube" in u for u in v.foreign)

    # The consent id is shown in the dialog, and it is the record's.
    record = ConsentRecord.objects.get()
    page.get_by_role("button", name="Cookie settings").click()
    expect(dialog.get_by_text(record.consent_id)).to_be_visible()
    expect(analytics).to_be_checked()
    page.keyboard.press("Escape")

    # It persists: on the next page view Google Analytics loads again, no banner.
    v.foreign.clear()
    page.reload()
    page.wait_for_function("() => !!document.querySelector('script[src*=\"gtag/js\"]')")
    expect(page.locator("#weticket-consent-banner")).to_be_hidden()
    page.wait_for_timeout(200)
    assert gtag_requested(v)

    # Withdrawing in "Cookie settings": the analytics cookies go, and the next page loads nothing.
    page.context.add_cookies(
        [
            {"name": "_ga", "value": "GA1.1.1.1", "url": live_server.url},
            {"name": "_ga_WETICKET01", "value": "GS1.1.1", "url": live_server.url},
        ]
    )
    page.get_by_role("button", name="Cookie settings").click()
    analytics.uncheck()
    dialog.get_by_role("button", name="Save my choice").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function("() => !document.cookie.includes('_ga')")
    assert "_ga" not in v.cookies() and "_ga_WETICKET01" not in v.cookies()
    assert consent_updates(page)[-1]["analytics_storage"] == "denied"
    v.foreign.clear()
    page.goto(url(live_server, consent_site["video"]))
    expect(page.get_by_role("button", name="Load this video once")).to_be_visible()
    page.wait_for_timeout(300)
    assert v.google() == []
    assert [r.method for r in ConsentRecord.objects.order_by("pk")] == ["custom", "custom"]
    assert ConsentRecord.objects.latest("pk").declined.keys() == {"analytics", "marketing"}


def test_the_gated_video_loads_only_after_its_button_or_marketing_consent(
    visitor, live_server, consent_site
):
    v = visitor()
    page = v.page
    page.goto(url(live_server, consent_site["video"]))
    once = page.get_by_role("button", name="Load this video once")
    expect(once).to_be_visible()
    assert page.locator("iframe").count() == 0 and v.google() == []

    mark_page(page)
    once.click()
    video = page.locator("iframe[title='Aftermovie (Big Buck Bunny)']")
    expect(video).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ")
    page.wait_for_timeout(300)
    assert any(u.startswith("https://www.youtube-nocookie.com/embed/") for u in v.foreign)
    assert not gtag_requested(v)
    assert ConsentRecord.objects.count() == 0  # "once" is not consent
    assert page.evaluate("window.__noReload") is True

    page.reload()
    expect(page.locator("iframe")).to_have_count(0)
    page.get_by_role("button", name="Always allow “Marketing” cookies").click()
    expect(video).to_be_visible()
    record = ConsentRecord.objects.get()
    assert record.method == "always_allow" and list(record.accepted) == ["marketing"]
    expect(v.banner()).to_be_visible()  # analytics is still to be chosen
    page.reload()
    expect(video).to_have_count(1)
    assert not gtag_requested(v)


def test_accept_and_reject_look_exactly_alike(visitor, live_server, consent_site):
    v = visitor()
    page = v.page
    page.goto(url(live_server, consent_site["home"]))
    script = """el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
        return {width: Math.round(r.width), height: Math.round(r.height),
                weight: s.fontWeight, size: s.fontSize, colour: s.color,
                background: s.backgroundColor, border: s.borderTopColor}; }"""
    banner = v.banner()
    looks = [banner.get_by_role("button", name=n).evaluate(script) for n in
             ("Accept all", "Reject all", "Choose")]  # fmt: skip
    assert looks[0] == looks[1] == looks[2], looks
    assert looks[0]["width"] > 100 and looks[0]["weight"] == "600"
    banner.get_by_role("button", name="Choose").click()
    dialog = page.get_by_role("dialog")
    looks = [dialog.get_by_role("button", name=n).evaluate(script) for n in
             ("Accept all", "Reject all", "Save my choice")]  # fmt: skip
    assert looks[0] == looks[1] == looks[2], looks


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
        }"""
    )


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("en-GB", ("Cookies on this site", "Accept all", "Reject all", "Choose",
                   "Cookie settings", "Save my choice", "Analytics")),
        ("nl-NL", ("Cookies op deze site", "Alles accepteren", "Alles weigeren", "Zelf kiezen",
                   "Cookie-instellingen", "Mijn keuze opslaan", "Analytisch")),
    ],
)  # fmt: skip
def test_banner_and_dialog_speak_the_visitors_language_and_are_accessible(
    visitor, live_server, consent_site, locale, texts
):
    title, accept, reject, choose, settings_title, save, analytics = texts
    v = visitor(locale)
    page = v.page
    page.goto(url(live_server, consent_site["home"]))
    banner = page.get_by_role("region", name=title)
    expect(banner).to_be_visible()
    for name in (accept, reject, choose):
        expect(banner.get_by_role("button", name=name, exact=True)).to_be_visible()
    assert axe_violations(page) == []

    # Keyboard only: the banner's "choose" opens the dialog, focus stays inside, Escape
    # closes it and gives the focus back.
    opener = banner.get_by_role("button", name=choose, exact=True)
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=settings_title)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("switch", name=analytics)).to_be_focused()
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('dialog[open]')"), (
            "focus left the dialog"
        )
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("() => !!document.activeElement.closest('dialog[open]')")
    expect(dialog.get_by_role("button", name=save)).to_be_visible()
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    # A switch toggles with the space bar, and "save" records exactly that.
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    dialog.get_by_role("button", name=save).focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    record = ConsentRecord.objects.get()
    assert list(record.accepted) == ["analytics"] and list(record.declined) == ["marketing"]
    assert record.language == locale[:2]


def test_a_changed_group_and_a_material_statement_version_ask_again(
    visitor, live_server, consent_site, django_user_model
):
    from cookie_consent.models import CookieGroup

    v = visitor()
    page = v.page
    page.goto(url(live_server, consent_site["home"]))
    v.banner().get_by_role("button", name="Accept all").click()
    expect(v.banner()).to_be_hidden()
    page.reload()
    expect(page.locator("#weticket-consent-banner")).to_be_hidden()

    # An operator changes what the analytics group is for, in the admin.
    django_user_model.objects.create_superuser("operator", "op@example.org", ADMIN_PASSWORD)
    admin = visitor().page
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("operator")
    admin.get_by_label("Password").fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    analytics = CookieGroup.objects.get(varname="analytics")
    admin.goto(f"{live_server.url}/admin/weticket_cookie_groups/edit/{analytics.pk}/")
    admin.get_by_label("Description (English)").fill(
        "Google Analytics counts visits and also measures how far you scroll."
    )
    expect(admin.get_by_role("checkbox", name="Ask visitors for consent again")).to_be_checked()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("updated", exact=False).first).to_be_visible()

    page.reload()
    expect(v.banner()).to_be_visible()
    page.get_by_role("button", name="Choose").click()
    expect(page.get_by_text("also measures how far you scroll")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Accept all").click()
    expect(page.get_by_role("dialog")).to_be_hidden()  # the choice is saved
    page.reload()
    expect(page.locator("#weticket-consent-banner")).to_be_hidden()

    # A material new version of the privacy statement: everyone is asked again.
    statement = consent_site["statement"]
    body = list(statement.body.raw_data)
    body[0]["value"]["content"][0]["value"] = "<p>Our cookies, and now a newsletter.</p>"
    publish(statement, body=body, change_summary="Newsletter.", change_is_material=True)
    page.reload()
    expect(v.banner()).to_be_visible()

    # The operator finds each choice by its consent id in the consent log.
    record = ConsentRecord.objects.latest("pk")
    admin.goto(f"{live_server.url}/admin/weticket_consent_log/?q={record.consent_id}")
    row = admin.get_by_role("row").filter(has_text=record.consent_id)
    expect(row).to_have_count(2)  # accept all, then accept all again after the change
    expect(row.first).to_contain_text("127.0.0.0/24")
    assert all("127.0.0.1" not in (r.ip_prefix + str(r.accepted)) for r in
               ConsentRecord.objects.all())  # fmt: skip


def test_the_embedded_shop_shows_no_second_banner(
    visitor, live_server, consent_site, on_sale, foreign_site
):
    event = on_sale["event"]
    origin = foreign_site(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>'
        f'<body><h1>Host site</h1><script src="{live_server.url}/static/weticket_wagtail/'
        f'embed.js" data-weticket-event="{event.organisation.slug}/{event.slug}" async>'
        "</script></body></html>"
    )
    organisation = on_sale["organisation"]
    organisation.embed_origins = origin
    organisation.save()
    v = visitor()
    v.page.goto(origin)
    shop = v.page.frame_locator("iframe.weticket-embed-frame")
    expect(shop.locator("form.weticket-shop")).to_be_visible()
    expect(shop.locator("[data-weticket-consent-root]")).to_have_count(0)
    expect(shop.locator("#weticket-consent-config")).to_have_count(0)
    # The shop's own page, outside the iframe, has the banner.
    v.page.goto(f"{live_server.url}/tickets/{event.organisation.slug}/{event.slug}/")
    expect(v.banner()).to_be_visible()
