"""The embed script on somebody else's website: the iframe follows its content, the purchase
completes through the top window, origins the organisation did not allow are refused, the
host page is never sent anywhere but to the ticket site and the payment provider, and refusals
(rate limit, CSRF) show their message inside the frame.

The "other websites" are plain HTML pages served from other ports of localhost (see
``foreign_site`` in conftest.py for why localhost, and what production needs instead).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from weticket_wagtail.ticketing.models import Order, Ticket
from weticket_wagtail.ticketing.panels import embed_snippet

from .conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAME = "iframe.weticket-embed-frame"

HOST_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Jazz aan Zee – the festival</title>
<style>
  body {{ font-family: Georgia, serif; max-width: 52rem; margin: 0 auto; padding: 1rem 2rem;
         background: #f7f3ea; color: #222; }}
  header {{ border-bottom: 2px solid #7c2d12; margin-bottom: 1rem; }}
  .tickets {{ background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: .5rem; }}
</style>
<script>
  // Everything the page receives, so the test can see which messages arrived.
  window.received = [];
  window.addEventListener("message", function (e) {{
    window.received.push({{ origin: e.origin, data: e.data }});
  }});
  // Load events of the ticket iframe (fired for our shop and for Chromium's error page).
  window.frameLoads = 0;
  document.addEventListener("load", function (e) {{
    if (e.target.tagName === "IFRAME") {{ window.frameLoads += 1; }}
  }}, true);
</script>
</head>
<body>
<header><h1>Jazz aan Zee</h1><p>Three evenings of jazz on the beach at Zandvoort.</p></header>
<h2>Buy your tickets</h2>
<div class="tickets">
{snippet}
</div>
<p>Questions? Mail us at info@jazzaanzee.example.</p>
</body>
</html>
"""


def host_page(live_server, on_sale, snippet: str = "") -> str:
    """A foreign website with the shop on it: the admin's snippet, or a minimal script tag."""
    event = on_sale["event"]
    snippet = snippet or (
        f'<script src="{live_server.url}/static/weticket_wagtail/embed.js" '
        f'data-weticket-event="{event.organisation.slug}/{event.slug}" async></script>'
    )
    return HOST_PAGE.format(snippet=snippet)


def reported_heights(page) -> list[int]:
    return page.evaluate(
        "() => window.received.filter(m => m.data && m.data.type === 'weticket:resize')"
        ".map(m => m.data.height)"
    )


def body_height(frame) -> int:
    return frame.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")


def expect_frame_fits_content(page, frame) -> int:
    """The iframe's height is the height of the document inside it, as it reported."""
    iframe = page.locator(FRAME)
    height = body_height(frame)
    expect(iframe).to_have_attribute("data-weticket-height", str(height))
    expect(iframe).to_have_css("height", f"{max(200, height)}px")
    return height


def test_embedded_shop_resizes_and_sells_on_an_allowed_origin(
    new_page, live_server, shop_settings, mollie_double, on_sale, foreign_site
):
    # The snippet the event's edit screen shows; it names the double's checkout as the
    # payment origin the embedding page may open.
    snippet = embed_snippet(on_sale["event"])
    assert f'data-weticket-payment-origin="{mollie_double.base_url}"' in snippet
    origin = foreign_site(host_page(live_server, on_sale, snippet))
    organisation = on_sale["organisation"]
    organisation.embed_origins = f"https://friends.example\n{origin}"
    organisation.save()

    page = new_page()
    page.goto(origin)
    iframe = page.locator(FRAME)
    shop = page.frame_locator(FRAME)
    expect(shop.locator("form.weticket-shop")).to_be_visible()
    frame = iframe.element_handle().content_frame()
    assert frame.url.startswith(f"{live_server.url}/tickets/embed/jazz-aan-zee/jazz-night/")
    assert f"parent={origin.replace(':', '%3A').replace('/', '%2F')}" in frame.url

    # Resizing: from the script's 480px placeholder to what the shop reports.
    first = expect_frame_fits_content(page, frame)
    assert first != 480
    assert {m["origin"] for m in page.evaluate("window.received")} == {live_server.url}
    save_screenshot(page, "embed.png")

    # A form error makes the content taller: the iframe grows ...
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(shop.get_by_role("alert")).to_contain_text("Choose at least one ticket.")
    grown = expect_frame_fits_content(page, frame)
    assert grown > first
    # ... and shrinks again when the content does (ResizeObserver, no new page).
    frame.evaluate("() => document.getElementById('weticket-form-errors').remove()")
    shrunk = expect_frame_fits_content(page, frame)
    assert shrunk < grown
    heights = reported_heights(page)
    assert first in heights and grown in heights and heights[-1] == shrunk

    # The purchase, inside the iframe until payment; Mollie opens in the top window.
    shop.get_by_role("spinbutton", name="Number of “Regular” tickets").fill("2")
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(shop.get_by_role("heading", name="Your details")).to_be_visible()
    expect_frame_fits_content(page, frame)
    shop.get_by_label("Name").fill("Sam Jansen")
    shop.get_by_label("Email").fill("sam@example.org")
    shop.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(mollie_double.base_url)}/checkout/tr_\w+$"))
    page.get_by_role("button", name="Paid", exact=True).click()

    order = Order.objects.get()
    expect(page).to_have_url(f"{live_server.url}/tickets/order/{order.token}/")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\s*Paid\."))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == 2


def test_an_origin_that_is_not_allowed_cannot_frame_the_shop(
    new_page, live_server, on_sale, foreign_site
):
    html = host_page(live_server, on_sale)
    allowed = foreign_site(html)
    stranger = foreign_site(html)
    organisation = on_sale["organisation"]
    organisation.embed_origins = allowed
    organisation.save()

    page = new_page()
    refusals = []
    page.on("console", lambda m: refusals.append(m.text) if "frame-ancestors" in m.text else None)
    response = page.request.get(
        f"{live_server.url}/tickets/embed/jazz-aan-zee/jazz-night/?parent={stranger}"
    )
    assert response.headers["content-security-policy"] == f"frame-ancestors 'self' {allowed}"

    page.goto(stranger)
    iframe = page.locator(FRAME)
    expect(iframe).to_be_attached()
    # The browser refuses to show the shop and loads its own error page in the frame instead.
    page.wait_for_function("() => window.frameLoads > 0")
    frame = iframe.element_handle().content_frame()
    assert frame.url.startswith("chrome-error://")
    assert frame.locator(".weticket-shop").count() == 0
    # The error page sent nothing, and it has fully loaded: no resize message will come.
    assert page.evaluate("window.received") == []
    assert iframe.get_attribute("data-weticket-height") is None
    expect(iframe).to_have_css("height", "480px")
    # Chromium says why: "Framing 'http://localhost:…/' violates … frame-ancestors …".
    assert any(live_server.url in text and "violates" in text for text in refusals), refusals


def open_embedded_shop(page, live_server, on_sale, foreign_site):
    origin = foreign_site(host_page(live_server, on_sale))
    organisation = on_sale["organisation"]
    organisation.embed_origins = origin
    organisation.save()
    page.goto(origin)
    shop = page.frame_locator(FRAME)
    expect(shop.locator("form.weticket-shop")).to_be_visible()
    frame = page.locator(FRAME).element_handle().content_frame()
    expect_frame_fits_content(page, frame)
    return origin, shop, frame


def ask_top_to_open(frame, url: str) -> None:
    """What a compromised or confused shop page could send to the embedding page."""
    frame.evaluate(
        "(url) => window.parent.postMessage({type: 'weticket:navigate', url: url}, "
        "document.body.getAttribute('data-weticket-parent'))",
        url,
    )


def test_the_host_page_opens_only_the_ticket_site_and_mollie(
    new_page, live_server, on_sale, foreign_site
):
    page = new_page()
    origin, _shop, frame = open_embedded_shop(page, live_server, on_sale, foreign_site)
    iframe = page.locator(FRAME)
    elsewhere = foreign_site("<p>another site on localhost</p>")
    for url in ("https://evil.example/phish", f"{elsewhere}/", "javascript:alert(1)"):
        ask_top_to_open(frame, url)
        expect(iframe).to_have_attribute("data-weticket-refused", url)
        assert page.url == f"{origin}/"
    # The ticket site's own pages may take over the top window.
    ask_top_to_open(frame, f"{live_server.url}/tickets/jazz-aan-zee/jazz-night/")
    expect(page).to_have_url(f"{live_server.url}/tickets/jazz-aan-zee/jazz-night/")


def test_a_rate_limited_request_says_so_inside_the_frame(
    new_page, live_server, on_sale, foreign_site, settings
):
    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"reserve": 1}}
    page = new_page()
    _origin, shop, frame = open_embedded_shop(page, live_server, on_sale, foreign_site)
    shop.get_by_role("button", name="Reserve tickets").click()  # the one POST allowed
    expect(shop.get_by_role("alert")).to_contain_text("Choose at least one ticket.")
    shop.get_by_role("spinbutton", name="Number of “Regular” tickets").fill("1")
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(shop.get_by_role("heading", name="Please wait")).to_be_visible()
    expect(shop.get_by_role("alert")).to_have_text(
        "Too many attempts. Please wait a minute and try again."
    )
    frame = page.locator(FRAME).element_handle().content_frame()
    assert not frame.url.startswith("chrome-error://")
    assert expect_frame_fits_content(page, frame) < 480  # told the page its (small) height


def test_a_failed_csrf_check_says_so_inside_the_frame(new_page, live_server, on_sale, foreign_site):
    page = new_page()
    _origin, shop, frame = open_embedded_shop(page, live_server, on_sale, foreign_site)
    # What a browser that blocks cookies in third-party frames sends: no CSRF cookie.
    page.context.clear_cookies()
    shop.get_by_role("spinbutton", name="Number of “Regular” tickets").fill("1")
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(shop.get_by_role("heading", name="Your request was not accepted")).to_be_visible()
    expect(shop.get_by_role("alert")).to_contain_text("did not send the security cookie")
    link = shop.get_by_role("link", name="Open the ticket shop")
    expect(link).to_have_attribute("href", f"{live_server.url}/tickets/jazz-aan-zee/jazz-night/")
    frame = page.locator(FRAME).element_handle().content_frame()
    assert not frame.url.startswith("chrome-error://")
    expect_frame_fits_content(page, frame)
    assert not Order.objects.exists()
