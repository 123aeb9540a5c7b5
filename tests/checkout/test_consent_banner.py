"""The shop's shared pages carry the cookie banner without baking a visitor's state into them."""

from __future__ import annotations

import pytest
from wagtail.models import Page, Site

from weticket_wagtail.privacy.models import ConsentSettings, CookieGroupText

pytestmark = pytest.mark.django_db


def default_site() -> Site:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(title="Home", slug="home")
        site = Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return site


def test_the_shop_page_shows_the_banner_from_its_shared_cache_and_follows_edits(
    client, consent_groups, on_sale, django_capture_on_commit_callbacks
):
    ConsentSettings.objects.update_or_create(site=default_site(), defaults={"show_banner": True})
    shop = "/tickets/test-org/jazz-night/"
    assert "Analytics" in client.get(shop).content.decode()
    text = CookieGroupText.objects.get(cookiegroup__varname="analytics", language="en")
    text.name = "Visitor statistics"
    text.save()
    page = client.get(shop).content.decode()
    assert "Visitor statistics" in page
    # Inside another site's iframe the host's consent applies: no banner, no consent script.
    on_sale["event"].organisation.embed_origins = "https://host.example"
    with django_capture_on_commit_callbacks(execute=True):
        on_sale["event"].organisation.save()
    embed = client.get(
        "/tickets/embed/test-org/jazz-night/?parent=https%3A%2F%2Fhost.example"
    ).content.decode()
    assert "weticket-consent" not in embed
