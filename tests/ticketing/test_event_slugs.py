"""A new event's slug comes from its title: in the browser as you type (Wagtail's sync
controllers, as on pages), and on the server when it is left empty, unique per organisation."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, UserFactory
from weticket_wagtail.ticketing.models import Event

from .test_validation import formset

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client


def new_event(organisation, title: str, slug: str = "") -> dict:
    return {
        "organisation": organisation.pk,
        "title": title,
        "slug": slug,
        "venue": "Hall",
        "starts_at": "2030-06-01 20:00",
        "ends_at": "2030-06-01 23:00",
        **formset("ticket_types", []),
    }


def test_an_empty_slug_is_made_from_the_title_unique_per_organisation(admin_client):
    organisation, other = OrganisationFactory(), OrganisationFactory()
    url = reverse("weticket_events:add")
    for target in (organisation, organisation, other):
        response = admin_client.post(url, new_event(target, "Zomer in de Stad: Café-avond!"))
        assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(
        Event.objects.filter(organisation=organisation).values_list("slug", flat=True)
    ) == [
        "zomer-in-de-stad-cafe-avond",
        "zomer-in-de-stad-cafe-avond-2",
    ]
    assert Event.objects.get(organisation=other).slug == "zomer-in-de-stad-cafe-avond"


def test_a_slug_given_is_kept_and_a_taken_one_is_refused(admin_client):
    organisation = OrganisationFactory()
    EventFactory(organisation=organisation, slug="gala")
    url = reverse("weticket_events:add")
    taken = admin_client.post(url, new_event(organisation, "Another gala", slug="gala"))
    assert taken.status_code == 200 and Event.objects.count() == 1
    kept = admin_client.post(url, new_event(organisation, "Another gala", slug="gala-2031"))
    assert kept.status_code == 302
    assert Event.objects.filter(slug="gala-2031").exists()


def test_events_made_in_code_without_a_slug_get_one():
    organisation = OrganisationFactory()
    first = EventFactory(organisation=organisation, title="Open dag", slug="")
    second = EventFactory(organisation=organisation, title="Open dag", slug="")
    assert (first.slug, second.slug) == ("open-dag", "open-dag-2")


def input_tag(body: str, field: str) -> str:
    """The ``<input>`` of ``field``, with its attributes unescaped."""
    return unescape(re.search(rf'<input[^>]*id="id_{field}"[^>]*>', body).group(0))


def test_the_add_form_syncs_the_slug_with_the_title(admin_client):
    body = admin_client.get(reverse("weticket_events:add")).content.decode()
    title = input_tag(body, "title")
    assert 'data-controller="w-sync"' in title and 'data-w-sync-target-value="#id_slug"' in title
    assert "keyup->w-sync#apply" in title
    slug = input_tag(body, "slug")
    assert 'data-controller="w-slug"' in slug and "w-sync:apply->w-slug#urlify" in slug
    assert "allow-unicode" not in slug  # ASCII slugs, as the field accepts


def test_a_published_event_keeps_its_slug_when_its_title_changes(admin_client):
    event = EventFactory(is_published=True)
    body = admin_client.get(reverse("weticket_events:edit", args=[event.pk])).content.decode()
    assert "w-sync#apply" not in input_tag(body, "title")
