"""Vouchers in the embedded shop, in Chromium (issue #13 item 2): a ``?voucher=`` link to the
page that embeds the shop reaches the frame, a code typed in the frame is applied (Enter or
"Apply") without losing the chosen quantities, and a visitor without the code never sees its
prices, though the shop pages are cached and shared."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from weticket_wagtail.payments.models import Payment
from weticket_wagtail.ticketing.models import Voucher
from weticket_wagtail.ticketing.panels import embed_snippet

from .test_embed import FRAME, host_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def summer(on_sale):
    """SUMMER takes € 4.50 off Regular (€ 24.50 → € 20.00)."""
    voucher = Voucher.objects.create(
        organisation=on_sale["organisation"],
        code="SUMMER",
        kind=Voucher.Kind.FIXED,
        value=Decimal("4.50"),
        max_uses=10,
    )
    voucher.ticket_types.set([on_sale["regular"]])
    return voucher


def regular_price(shop):
    return shop.locator("tr.weticket-type", has_text="Regular").locator(".weticket-type__price")


def test_a_voucher_link_to_the_embedding_page_discounts_the_shop_in_the_frame(
    new_page, live_server, shop_settings, mollie_double, on_sale, summer, foreign_site
):
    # The event's snippet: it names the double's checkout as the origin the page may open.
    origin = foreign_site(host_page(live_server, on_sale, embed_snippet(on_sale["event"])))
    organisation = on_sale["organisation"]
    organisation.embed_origins = origin
    organisation.save()

    page = new_page()
    page.goto(f"{origin}/?voucher=summer")
    shop = page.frame_locator(FRAME)
    expect(shop.get_by_role("status")).to_have_text("Voucher SUMMER applied.")
    expect(regular_price(shop)).to_have_text(re.compile(r"Was\s+€ 24\.50\s+€ 20\.00"))

    shop.get_by_role("spinbutton", name="Number of “Regular” tickets").fill("2")
    shop.get_by_role("button", name="Reserve tickets").click()
    expect(shop.get_by_role("heading", name="Your details")).to_be_visible()
    expect(shop.locator(".weticket-summary")).to_contain_text("(voucher SUMMER)")
    expect(shop.locator(".weticket-summary__total")).to_contain_text("€ 40.00")
    shop.get_by_label("Name").fill("Sam Jansen")
    shop.get_by_label("Email").fill("sam@example.org")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(mollie_double.base_url)}/checkout/tr_\w+$"))
    payment = Payment.objects.get()
    assert mollie_double.payments[payment.mollie_id]["amount"]["value"] == "40.00"

    # Another visitor, on the same page without the link, twice (the second from the cache).
    for _ in range(2):
        other = new_page()
        other.goto(origin)
        plain = other.frame_locator(FRAME)
        expect(regular_price(plain)).to_have_text("€ 24.50")
        expect(plain.locator(".weticket-voucher-applied")).to_have_count(0)
        expect(plain.get_by_label("Voucher code")).to_have_value("")
        other.close()


def test_a_code_typed_in_the_frame_is_applied_and_a_wrong_one_keeps_what_was_typed(
    new_page, live_server, shop_settings, on_sale, summer, foreign_site
):
    origin = foreign_site(host_page(live_server, on_sale))
    organisation = on_sale["organisation"]
    organisation.embed_origins = origin
    organisation.save()
    page = new_page()
    page.goto(origin)
    shop = page.frame_locator(FRAME)
    quantity = shop.get_by_role("spinbutton", name="Number of “Regular” tickets")
    code = shop.get_by_label("Voucher code")

    quantity.fill("3")
    code.fill("sumer")
    code.press("Enter")  # applies the code (it would reserve without the script)

    expect(shop.get_by_role("alert")).to_have_text("This voucher code is not valid for this event.")
    expect(quantity).to_have_value("3")
    expect(code).to_have_value("sumer")
    expect(code).to_have_attribute("aria-invalid", "true")

    code.fill("summer")
    shop.get_by_role("button", name="Apply").click()

    expect(shop.get_by_role("status")).to_have_text("Voucher SUMMER applied.")
    expect(regular_price(shop)).to_contain_text("€ 20.00")
    expect(quantity).to_have_value("3")
    expect(code).to_have_value("SUMMER")
    frame = page.locator(FRAME).element_handle().content_frame()
    assert "/tickets/jazz-aan-zee/jazz-night/?parent=" in frame.url  # still the embedded shop
