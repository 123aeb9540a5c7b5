"""The shop page reads what editors change from a cache, and never sells from it.

A flash sale is thousands of views of one page: the event, its organisation and its ticket
types come from the cache (dropped on every save), tickets left from a cached count that each
reservation updates. The reservation itself checks everything against the locked rows.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from weticket_wagtail.ticketing.models import Event, Reservation, ReservationLine, TicketType
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db

SHOP = "/tickets/test-org/jazz-night/"


def queries_on(captured: CaptureQueriesContext, *models) -> list[str]:
    tables = [model._meta.db_table for model in models]
    return [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in tables)]


def reserve(client, ticket_type, quantity=1):
    return client.post(SHOP, {f"quantity_{ticket_type.pk}": str(quantity)})


def test_repeated_page_views_do_not_read_the_event_or_its_ticket_types_again(client, on_sale):
    assert client.get(SHOP).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SHOP)
    assert response.status_code == 200
    assert "Regular" in response.content.decode()
    assert captured.captured_queries == []


def test_an_editors_change_shows_at_once(client, on_sale, django_capture_on_commit_callbacks):
    client.get(SHOP)
    regular = on_sale["regular"]
    regular.name = "Early bird"
    regular.price = Decimal("19.00")
    with django_capture_on_commit_callbacks(execute=True):
        regular.save()
    page = client.get(SHOP).content.decode()
    assert "Early bird" in page
    assert "19,00" in page or "19.00" in page


def test_an_unpublished_event_is_gone_at_once(client, on_sale, django_capture_on_commit_callbacks):
    client.get(SHOP)
    event = on_sale["event"]
    event.is_published = False
    with django_capture_on_commit_callbacks(execute=True):
        event.save()
    assert client.get(SHOP).status_code == 404


def test_a_stale_page_cannot_sell_an_unpublished_event(client, on_sale):
    client.get(SHOP)  # the catalogue is cached
    # Changed behind the cache's back (another process, a bulk update): nothing tells the cache.
    Event.objects.filter(pk=on_sale["event"].pk).update(is_published=False)
    response = reserve(client, on_sale["regular"])
    assert "Tickets for this event are not on sale." in response.content.decode()
    assert not Reservation.objects.exists()
    assert not ReservationLine.objects.exists()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"is_active": False}, "One of the chosen ticket types is not available."),
        ({"sale_ends_at_delta": -1}, "The sale of “Regular” has ended."),
        ({"sale_starts_at_delta": 2}, "The sale of “Regular” opens on"),
        ({"max_per_order": 1}, "Choose between 1 and 1 tickets of “Regular”."),
    ],
)
def test_a_stale_page_cannot_sell_what_an_editor_just_changed(client, on_sale, change, message):
    client.get(SHOP)
    now = timezone.now()
    update = {k: v for k, v in change.items() if not k.endswith("_delta")}
    if "sale_ends_at_delta" in change:
        update["sale_ends_at"] = now + timedelta(hours=change["sale_ends_at_delta"])
    if "sale_starts_at_delta" in change:
        update["sale_starts_at"] = now + timedelta(days=change["sale_starts_at_delta"])
    TicketType.objects.filter(pk=on_sale["regular"].pk).update(**update)
    response = reserve(client, on_sale["regular"], quantity=2)
    assert message in response.content.decode()
    assert not Reservation.objects.exists()
    assert not ReservationLine.objects.exists()


def test_a_reservation_updates_the_cached_count_instead_of_dropping_it(
    client, on_sale, django_capture_on_commit_callbacks
):
    student = on_sale["student"]  # 10 tickets: "Only 10 left"
    assert "Only 10 left" in client.get(SHOP).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert reserve(client, student, quantity=3).status_code == 302
    with CaptureQueriesContext(connection) as captured:
        page = client.get(SHOP).content.decode()
    assert "Only 7 left" in page
    assert queries_on(captured, ReservationLine) == []


def test_sold_out_answers_count_again(client, on_sale):
    student = on_sale["student"]
    client.get(SHOP)  # cached: 10 left
    # Another process sold them; this process's cache still says 10.
    reserve_tickets(on_sale["event"], {student.pk: 4})
    reserve_tickets(on_sale["event"], {student.pk: 4})
    reserve_tickets(on_sale["event"], {student.pk: 2})
    response = reserve(client, student, quantity=1)
    assert response.status_code == 409
    page = response.content.decode()
    assert "“Student” is sold out." in page
    assert "Only 10 left" not in page


# --- the rendered page, shared by visitors who each get their own CSRF token -------------------


def visitor(**headers):
    from django.test import Client

    return Client(enforce_csrf_checks=True, **headers)


def csrf_of(page: str) -> str:
    import re

    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_later_visitors_get_the_stored_page_with_their_own_token(on_sale):
    first, second = visitor(), visitor()
    shown_first = first.get(SHOP)
    shown_second = second.get(SHOP)
    assert shown_first.templates, "the first view renders the page"
    assert not shown_second.templates, "the second is served from the page cache"
    token_first = csrf_of(shown_first.content.decode())
    token_second = csrf_of(shown_second.content.decode())
    assert token_first != token_second
    assert "csrftoken" in shown_second.cookies
    assert shown_second["Content-Security-Policy"].startswith("frame-ancestors")
    # Both forms work, each with its own cookie; the tokens are not interchangeable.
    regular = on_sale["regular"]
    form = {f"quantity_{regular.pk}": "1"}
    assert second.post(SHOP, {**form, "csrfmiddlewaretoken": token_second}).status_code == 302
    assert first.post(SHOP, {**form, "csrfmiddlewaretoken": token_first}).status_code == 302
    third = visitor()
    third.get(SHOP)
    assert third.post(SHOP, {**form, "csrfmiddlewaretoken": token_first}).status_code == 403


def test_the_stored_page_follows_the_number_of_tickets_left(
    on_sale, django_capture_on_commit_callbacks
):
    assert "Only 10 left" in visitor().get(SHOP).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        reserve_tickets(on_sale["event"], {on_sale["student"].pk: 4})
    page = visitor().get(SHOP).content.decode()
    assert "Only 6 left" in page and "Only 10 left" not in page


def test_each_language_has_its_own_page(on_sale):
    assert "Reserve tickets" in visitor(HTTP_ACCEPT_LANGUAGE="en").get(SHOP).content.decode()
    assert "Tickets reserveren" in visitor(HTTP_ACCEPT_LANGUAGE="nl").get(SHOP).content.decode()
    assert "Reserve tickets" in visitor(HTTP_ACCEPT_LANGUAGE="en").get(SHOP).content.decode()


def test_a_visitors_message_and_form_errors_are_never_shared(on_sale):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    visitor().get(SHOP)  # a page is stored
    told = visitor()
    storage = CookieStorage(RequestFactory().get("/"))
    told.cookies["messages"] = storage._encode([Message(constants.ERROR, "Your hold expired.")])
    assert "Your hold expired." in told.get(SHOP).content.decode()
    refused = visitor()
    token = csrf_of(refused.get(SHOP).content.decode())
    response = refused.post(
        SHOP, {f"quantity_{on_sale['regular'].pk}": "99", "csrfmiddlewaretoken": token}
    )
    assert "At most 6 tickets" in response.content.decode()
    page = visitor().get(SHOP).content.decode()
    assert "Your hold expired." not in page
    assert "At most 6 tickets" not in page


def test_signed_in_users_always_get_a_fresh_page(on_sale, admin_user):
    visitor().get(SHOP)
    editor = visitor()
    editor.force_login(admin_user)
    assert editor.get(SHOP).templates


def test_the_page_cache_can_be_switched_off(on_sale, settings):
    settings.WETICKET = {**settings.WETICKET, "SHOP_PAGE_CACHE_SECONDS": 0}
    visitor().get(SHOP)
    assert visitor().get(SHOP).templates


def test_without_the_catalogue_cache_pages_are_neither_stored_nor_shared(on_sale, settings):
    from django.core.cache import cache

    settings.WETICKET = {**settings.WETICKET, "CATALOGUE_CACHE_SECONDS": 0}
    visitor().get(SHOP)
    assert visitor().get(SHOP).templates
    assert not [key for key in cache._cache if "shop-page" in key]


def test_the_embedded_shop_is_stored_per_embedding_site(on_sale):
    organisation = on_sale["organisation"]
    organisation.embed_origins = "https://venue.example"
    organisation.save()
    embed = "/tickets/embed/test-org/jazz-night/"
    plain = visitor().get(embed).content.decode()
    framed = visitor().get(embed + "?parent=https://venue.example").content.decode()
    assert "data-weticket-parent" not in plain
    assert 'data-weticket-parent="https://venue.example"' in framed
    again = visitor().get(embed + "?parent=https://venue.example")
    assert not again.templates
    assert 'data-weticket-parent="https://venue.example"' in again.content.decode()
