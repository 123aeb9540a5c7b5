"""Ticket blocks bring their own CSS and JS: dropped into a page whose template loads nothing of
ours, they are styled and scripted, and the assets appear once however many blocks there are."""

from __future__ import annotations

from pathlib import Path

import pytest
from home.models import ContentPage
from wagtail.models import Site

from weticket_wagtail.blocks import TicketShopBlock
from weticket_wagtail.testing.factories import EventFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(__file__).parent / "templates"
CSS = '<link href="/static/weticket_wagtail/weticket.css" media="all" rel="stylesheet">'
JS = '<script src="/static/weticket_wagtail/checkout.js" defer></script>'


@pytest.fixture
def client_templates(settings):
    """A client site's own templates, which know nothing of weticket-wagtail."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEMPLATES_DIR]}]


@pytest.fixture
def events():
    first = EventFactory(title="Night one", slug="night-one")
    second = EventFactory(organisation=first.organisation, title="Night two", slug="night-two")
    for event in (first, second):
        TicketTypeFactory(event=event, name="Regular")
    return first, second


def client_page(events, template: str, monkeypatch) -> ContentPage:
    """An ordinary page with five ticket blocks, rendered by ``template``."""
    monkeypatch.setattr(ContentPage, "template", template)
    first, second = events
    body = [
        ("paragraph", "<p>Come along.</p>"),
        ("ticket_shop", {"event": first, "ticket_types": [], "heading": "", "button_text": ""}),
        ("event_details", {"event": first, "show_description": True}),
        ("ticket_shop", {"event": second, "ticket_types": [], "heading": "", "button_text": ""}),
        ("event_list", {"organisation": first.organisation, "heading": "", "limit": 5}),
        ("event_details", {"event": second, "show_description": False}),
    ]
    root = Site.objects.get(is_default_site=True).root_page
    page = root.add_child(instance=ContentPage(title="Client page", slug="client-page", body=body))
    page.save_revision().publish()
    return page


@pytest.mark.parametrize("template", ["bare/stream_page.html", "bare/loop_page.html"])
def test_blocks_on_a_page_that_loads_nothing_of_ours_bring_their_assets_once(
    client, client_templates, events, template, monkeypatch
):
    page = client_page(events, template, monkeypatch)
    html = client.get(page.url).content.decode()
    assert html.count('class="weticket-qty"') == 2  # both shops are there
    assert html.count(CSS) == 1
    assert html.count(JS) == 1
    # Before the first block's markup, so the first shop is styled when it appears.
    assert html.index(CSS) < html.index("weticket-block")


def test_a_template_that_loads_the_assets_in_its_head_gets_them_only_there(
    client, client_templates, events, monkeypatch
):
    page = client_page(events, "bare/head_tag_page.html", monkeypatch)
    html = client.get(page.url).content.decode()
    head, body = html.split("</head>", 1)
    assert CSS in head and JS in head
    assert CSS not in body and JS not in body


def test_a_block_rendered_without_a_request_still_brings_its_assets(events):
    block = TicketShopBlock()
    value = block.to_python({"event": events[0].pk})
    for _ in range(2):  # no page to remember them on: every rendering has them
        html = block.render(value)
        assert CSS in html and JS in html


def test_the_checkout_script_sets_itself_up_once_however_often_it_is_included():
    script = (
        Path(__file__).resolve().parents[2] / "weticket_wagtail/static/weticket_wagtail/checkout.js"
    ).read_text()
    guard = script.index("if (window.weticketCheckout) { return; }")
    assert guard < script.index("addEventListener")
