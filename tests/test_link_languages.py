"""Every link we email carries the recipient's language: under the example site's
``i18n_patterns`` (``/nl/``, ``/en/``) as a prefix, whichever language is active when the email
is queued (a webhook, a worker); in a site without ``i18n_patterns`` there is no prefix."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from weticket_wagtail.languages import link_language
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.models import PrivacyStatementPage
from weticket_wagtail.privacy.services.export import download_url
from weticket_wagtail.privacy.services.requests import request_form_url, submit_request
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.links import order_url, shop_url
from weticket_wagtail.ticketing.services import notifications
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

from .privacy.conftest import publish

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
#: The prefix each language's links get, with the example site's URLs and without.
PREFIXES = {
    "demo.urls": {"nl": "/nl", "en": "/en"},
    "tests.urls": {"nl": "", "en": ""},
}


@pytest.fixture(params=sorted(PREFIXES))
def urlconf(request, settings):
    settings.ROOT_URLCONF = request.param
    return PREFIXES[request.param]


def order_in(on_sale, language: str):
    free = TicketTypeFactory(event=on_sale["event"], name="Gratis", price=0, capacity=50)
    reservation = reserve_tickets(on_sale["event"], {free.pk: 1})
    return place_order(
        reservation, buyer_name="Ada", buyer_email="ada@example.org", language=language
    )


def links_in(message: OutboxMessage) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", message.body_text + message.body_html)


@pytest.mark.parametrize("language,active", [("en", "nl"), ("nl", "en")])
def test_every_order_email_links_to_the_order_in_the_buyers_language(
    on_sale, urlconf, language, active
):
    with translation.override(active):  # e.g. Mollie's webhook, in the site's language
        order = order_in(on_sale, language)
        notifications.queue_payment_failed(order, payment_ref="tr_1", reason="failed")
        notifications.queue_refund_made(order, refund_ref="re_1", amount=Decimal("1.00"))
        notifications.queue_sold_out_after_payment(order)
    expected = f"{BASE}{urlconf[language]}/tickets/order/{order.token}/"
    topics = ["order_confirmation", "payment_failed", "refund_made", "sold_out_refund"]
    for topic in topics:
        message = OutboxMessage.objects.get(topic=topic)
        assert message.language == language
        assert expected in links_in(message), topic
    assert order_url(order) == expected
    assert order_url(order, "nl") == f"{BASE}{urlconf['nl']}/tickets/order/{order.token}/"


def test_a_shop_link_is_in_the_language_asked_for_else_the_active_one(on_sale, urlconf):
    event = on_sale["event"]
    with translation.override("nl"):
        assert shop_url(event) == f"{BASE}{urlconf['nl']}/tickets/test-org/jazz-night/"
        assert shop_url(event, "en") == f"{BASE}{urlconf['en']}/tickets/test-org/jazz-night/"


def test_a_language_the_site_does_not_serve_links_in_the_sites_language(settings):
    assert link_language("en-gb") == "en"
    assert link_language("de") == settings.LANGUAGE_CODE


@pytest.mark.parametrize("language", ["nl", "en"])
def test_request_emails_link_in_the_requesters_language(urlconf, language):
    with translation.override("nl" if language == "en" else "en"):
        req = submit_request(kind="access", email="ada@example.org", language=language)
    confirm = OutboxMessage.objects.get(topic="privacy_request_confirm")
    prefix = f"{BASE}{urlconf[language]}/tickets/privacy/"
    assert any(link.startswith(prefix + "confirm/") for link in links_in(confirm))
    assert download_url(req).startswith(prefix + "download/")


@pytest.fixture
def demo(settings):
    settings.ROOT_URLCONF = "demo.urls"
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": "test_" + "demo" * 8}
    call_command("weticket_demo", stdout=io.StringIO())


def test_the_review_link_opens_the_request_page_of_the_buyers_language(demo, on_sale):
    assert request_form_url(kind="human_review", language="en") == (
        f"{BASE}/en/privacy-request/?type=human_review"
    )
    assert request_form_url(language="nl") == f"{BASE}/nl/privacyverzoek/"
    order = order_in(on_sale, "en")
    notifications.queue_sold_out_after_payment(order)
    message = OutboxMessage.objects.get(topic="sold_out_refund")
    assert any(link.startswith(f"{BASE}/en/privacy-request/") for link in links_in(message))


def material_change_for_a_buyer(language: str, other: str, committing=None) -> OutboxMessage:
    """In the demo: a buyer who ordered in ``language``, and a material change of that
    language's statement published from an admin in ``other``; the buyer's email about it.
    ``committing`` runs the commit callbacks (a non-transactional test's capture)."""
    from contextlib import nullcontext

    from weticket_wagtail.ticketing.models import Event, Order

    event = Event.objects.first()
    Order.objects.create(
        organisation=event.organisation,
        event=event,
        buyer_name="Ada",
        buyer_email=f"ada-{language}@example.org",
        language=language,
        total=Decimal("10.00"),
        status=Order.Status.PAID,
    )
    page = PrivacyStatementPage.objects.get(locale__language_code=language)
    body = list(page.body.raw_data)
    body[0]["value"]["content"][0]["value"] += "<p>One more sentence.</p>"
    with committing or nullcontext(), translation.override(other):
        publish(page, body=body, change_summary="A change.", change_is_material=True)
    return OutboxMessage.objects.get(topic="policy_change", to=f"ada-{language}@example.org")


@pytest.mark.parametrize("language,other", [("en", "nl"), ("nl", "en")])
def test_a_policy_change_links_to_its_diff_and_statement_in_its_language(
    demo, client, django_capture_on_commit_callbacks, language, other
):
    # The campaign starts after the commit; the editor's admin is in the other language.
    message = material_change_for_a_buyer(
        language, other, django_capture_on_commit_callbacks(execute=True)
    )
    links = links_in(message)
    statement = f"{BASE}/{language}/privacy/"
    assert statement in links
    diffs = [link for link in links if link.startswith(statement) and link != statement]
    assert diffs
    for link in [statement, *diffs]:
        # Opened in a browser that prefers the other language: the link's language wins.
        response = client.get(link.removeprefix(BASE), HTTP_ACCEPT_LANGUAGE=other)
        assert response.status_code == 200, link
        assert f'<html lang="{language}">' in response.content.decode(), link
