"""Ticket blocks on any page: availability states, constant queries, branding, embedding."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from weticket_wagtail.blocks import EventDetailsBlock, EventListBlock, TicketShopBlock
from weticket_wagtail.blocks.contrast import contrast_ratio
from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db


def render_shop(event, **value) -> str:
    block = TicketShopBlock()
    return block.render(block.to_python({"event": event.pk, **value}))


@pytest.fixture
def event():
    organisation = OrganisationFactory(slug="org", primary_colour="#7c2d12")
    return EventFactory(organisation=organisation, slug="gig", title="The Gig")


def test_each_availability_state_is_shown(event, settings):
    settings.WETICKET = {**settings.WETICKET, "FEW_LEFT_THRESHOLD": 5}
    now = timezone.now()
    TicketTypeFactory(event=event, name="Plenty", capacity=100)
    TicketTypeFactory(event=event, name="Scarce", capacity=3)
    TicketTypeFactory(event=event, name="Gone", capacity=2, sold_count=2)
    TicketTypeFactory(event=event, name="Soon", sale_starts_at=now + timedelta(days=1))
    TicketTypeFactory(event=event, name="Over", sale_ends_at=now - timedelta(hours=1))
    html = render_shop(event)
    assert "The Gig" in html
    assert "Only 3 left" in html
    assert "Sold out" in html
    assert "On sale from" in html
    assert "Sale ended" in html
    # Only ticket types on sale get a quantity input.
    assert html.count('class="weticket-qty"') == 2


def test_a_subset_of_ticket_types_can_be_chosen(event):
    keep = TicketTypeFactory(event=event, name="Keep me")
    TicketTypeFactory(event=event, name="Hide me")
    html = render_shop(event, ticket_types=[str(keep.pk)], heading="Buy here", button_text="Go!")
    assert "Keep me" in html and "Hide me" not in html
    assert "Buy here" in html and "Go!" in html


def test_an_unpublished_event_is_not_sold(event):
    event.is_published = False
    event.save()
    assert "not on sale" in render_shop(event)


@pytest.mark.parametrize("types", [3, 30])
def test_queries_to_render_do_not_grow_with_ticket_types(
    event, types, django_assert_max_num_queries
):
    for i in range(types):
        TicketTypeFactory(event=event, name=f"Type {i}")
    with django_assert_max_num_queries(5):
        html = render_shop(event)
    assert html.count('class="weticket-qty"') == types


def test_cached_availability_follows_every_reservation(event, django_capture_on_commit_callbacks):
    scarce = TicketTypeFactory(event=event, name="Scarce", capacity=4)
    assert "Only 4 left" in render_shop(event)
    with django_capture_on_commit_callbacks(execute=True):
        reserve_tickets(event, {scarce.pk: 3})
    assert "Only 1 left" in render_shop(event)
    with django_capture_on_commit_callbacks(execute=True):
        reserve_tickets(event, {scarce.pk: 1})
    assert "Sold out" in render_shop(event)


def test_second_render_is_served_from_cache(event):
    TicketTypeFactory(event=event)
    render_shop(event)
    with CaptureQueriesContext(connection) as queries:
        render_shop(event)
    assert not any("reservationline" in q["sql"].lower() for q in queries.captured_queries)


def test_event_list_shows_upcoming_events_with_links(event):
    EventFactory(
        organisation=event.organisation,
        title="Far away",
        starts_at=timezone.now() + timedelta(days=300),
    )
    EventFactory(organisation=event.organisation, title="Draft", is_published=False)
    block = EventListBlock()
    value = block.to_python({"organisation": event.organisation.pk, "limit": 5, "days_ahead": 60})
    html = block.render(value)
    assert "The Gig" in html and "/tickets/org/gig/" in html
    assert "Far away" not in html and "Draft" not in html


def test_event_details_has_map_and_calendar(event, client):
    block = EventDetailsBlock()
    html = block.render(block.to_python({"event": event.pk, "show_description": True}))
    assert "openstreetmap.org/search" in html
    assert "/tickets/org/gig/event.ics" in html
    ics = client.get("/tickets/org/gig/event.ics")
    assert ics["Content-Type"] == "text/calendar"
    body = ics.content.decode()
    assert "BEGIN:VEVENT" in body and "SUMMARY:The Gig" in body and body.endswith("\r\n")
    assert "DTSTART:" + event.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") in body


def branded_page(event, **fields) -> BrandedTicketPage:
    root = Page.get_first_root_node()
    page = BrandedTicketPage(
        title="Tickets",
        slug="tickets-page",
        organisation=event.organisation,
        body=[
            ("ticket_shop", {"event": event, "heading": "", "button_text": "", "ticket_types": []})
        ],
        **fields,
    )
    root.add_child(instance=page)
    return page


def test_branded_page_applies_brand_with_per_page_override(event):
    TicketTypeFactory(event=event, name="Regular", price=Decimal("10"))
    page = branded_page(event, accent_colour="#123456", header_text="Summer nights")
    response = page.serve(_request())
    html = response.rendered_content
    assert "--weticket-primary:#7c2d12" in html  # the organisation's
    assert "--weticket-accent:#123456" in html  # the page's own
    assert "Summer nights" in html and "Regular" in html


def test_low_contrast_colours_are_reported():
    assert round(contrast_ratio("#ffffff", "#000000"), 1) == 21.0
    assert contrast_ratio("#ffffff", "#7c2d12") > 4.5
    page = BrandedTicketPage(organisation=OrganisationFactory(primary_colour="#fde68a"))
    warnings = page.contrast_warnings()
    assert warnings and "4.5:1" in str(warnings[0])
    page.primary_colour = "#1e3a8a"
    assert page.contrast_warnings() == []


def test_shop_pages_may_only_be_framed_by_allowed_origins(event, client):
    event.organisation.embed_origins = "https://friends.example\nhttp://127.0.0.1:8001"
    event.organisation.save()
    TicketTypeFactory(event=event)
    response = client.get("/tickets/embed/org/gig/", {"parent": "https://friends.example"})
    assert response["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://friends.example http://127.0.0.1:8001"
    )
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert 'data-weticket-parent="https://friends.example"' in html
    assert "embed-frame.js" in html
    stranger = client.get("/tickets/embed/org/gig/", {"parent": "https://evil.example"})
    assert "data-weticket-parent" not in stranger.content.decode()


def _request():
    from django.test import RequestFactory

    request = RequestFactory().get("/tickets-page/")
    request.user = __import__(
        "django.contrib.auth.models", fromlist=["AnonymousUser"]
    ).AnonymousUser()
    return request


@pytest.mark.parametrize("name", ["ticket_shop", "event_list", "event_details"])
def test_block_picker_previews_show_a_real_event(admin_client, event, name):
    TicketTypeFactory(event=event, name="Regular")
    block = BrandedTicketPage.body.field.stream_block.child_blocks[name]
    response = admin_client.get("/admin/block-preview/", {"id": block.definition_prefix})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The Gig" in html or "/tickets/org/gig/" in html
