"""A member of organisation A can never see or change anything of organisation B."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse

from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
    UserFactory,
)
from weticket_wagtail.ticketing.models import Event, Organisation

pytestmark = pytest.mark.django_db

OBJECT_VIEWS = ["edit", "delete", "inspect", "history", "usage", "copy"]


def refused(response) -> bool:
    """404 or 403, or Wagtail's permission-denied redirect to the dashboard (never the object)."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def admin_user(username: str):
    user = UserFactory(username=username)
    group, _ = Group.objects.get_or_create(name="Editors of tickets")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    user.groups.add(group)
    return user


@pytest.fixture
def two_tenants():
    org_a, org_b = OrganisationFactory(name="Alpha"), OrganisationFactory(name="Bravo")
    event_a = EventFactory(organisation=org_a, title="Alpha Night")
    event_b = EventFactory(organisation=org_b, title="Bravo Night")
    TicketTypeFactory(event=event_b, name="Bravo regular")
    member_a = admin_user("member-a")
    MembershipFactory(organisation=org_a, user=member_a)
    return {"org_a": org_a, "org_b": org_b, "event_a": event_a, "event_b": event_b, "a": member_a}


def object_urls(namespace: str, pk: int) -> list[str]:
    urls = []
    for view in OBJECT_VIEWS:
        try:
            urls.append(reverse(f"{namespace}:{view}", args=[pk]))
        except NoReverseMatch:
            continue
    return urls


def test_member_lists_only_own_organisation_and_events(client, two_tenants):
    client.force_login(two_tenants["a"])
    orgs = client.get(reverse("weticket_organisations:index"))
    assert orgs.status_code == 200
    assert "Alpha" in orgs.content.decode() and "Bravo" not in orgs.content.decode()
    events = client.get(reverse("weticket_events:index"))
    assert events.status_code == 200
    assert "Alpha Night" in events.content.decode()
    assert "Bravo Night" not in events.content.decode()


def test_search_and_filters_do_not_leak_other_tenants(client, two_tenants):
    client.force_login(two_tenants["a"])
    found = client.get(reverse("weticket_events:index"), {"q": "Bravo"})
    assert "Bravo Night" not in found.content.decode()
    filtered = client.get(
        reverse("weticket_events:index"), {"organisation": two_tenants["org_b"].pk}
    )
    assert "Bravo Night" not in filtered.content.decode()
    # The filter's choices do not even name the other tenant.
    assert ">Bravo<" not in client.get(reverse("weticket_events:index")).content.decode()


@pytest.mark.parametrize(
    "namespace,key", [("weticket_organisations", "org_b"), ("weticket_events", "event_b")]
)
def test_member_cannot_open_any_url_of_another_tenant(client, two_tenants, namespace, key):
    client.force_login(two_tenants["a"])
    urls = object_urls(namespace, two_tenants[key].pk)
    assert len(urls) >= 4
    for url in urls:
        assert refused(client.get(url)), url
        assert refused(client.post(url, {"title": "Hijacked", "name": "Hijacked"})), url


@pytest.mark.parametrize(
    "namespace,key", [("weticket_organisations", "org_a"), ("weticket_events", "event_a")]
)
def test_member_can_open_own_tenant_urls(client, two_tenants, namespace, key):
    client.force_login(two_tenants["a"])
    for url in object_urls(namespace, two_tenants[key].pk):
        if "/delete/" in url and namespace == "weticket_organisations":
            continue  # deleting an organisation is for platform admins
        assert client.get(url).status_code == 200, url


def test_member_cannot_edit_or_delete_another_tenants_event(client, two_tenants):
    client.force_login(two_tenants["a"])
    event_b = two_tenants["event_b"]
    edit = client.post(
        reverse("weticket_events:edit", args=[event_b.pk]),
        {"title": "Hijacked", "organisation": two_tenants["org_a"].pk},
    )
    assert refused(edit)
    delete = client.post(reverse("weticket_events:delete", args=[event_b.pk]))
    assert refused(delete)
    event_b.refresh_from_db()
    assert event_b.title == "Bravo Night"
    assert Event.objects.filter(pk=event_b.pk).exists()


def test_member_cannot_edit_or_delete_another_organisation(client, two_tenants):
    client.force_login(two_tenants["a"])
    org_b = two_tenants["org_b"]
    assert refused(
        client.post(reverse("weticket_organisations:edit", args=[org_b.pk]), {"name": "X"})
    )
    assert refused(client.post(reverse("weticket_organisations:delete", args=[org_b.pk])))
    assert Organisation.objects.get(pk=org_b.pk).name == "Bravo"


def test_member_cannot_create_an_event_for_another_organisation(client, two_tenants):
    client.force_login(two_tenants["a"])
    response = client.post(
        reverse("weticket_events:add"),
        {
            "organisation": two_tenants["org_b"].pk,
            "title": "Sneaky",
            "slug": "sneaky",
            "venue": "X",
            "starts_at": "2030-01-01 20:00",
            "ends_at": "2030-01-01 23:00",
            "ticket_types-TOTAL_FORMS": "0",
            "ticket_types-INITIAL_FORMS": "0",
            "ticket_types-MIN_NUM_FORMS": "0",
            "ticket_types-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert "Select a valid choice" in response.content.decode()
    assert not Event.objects.filter(slug="sneaky").exists()


def test_member_cannot_create_or_delete_organisations(client, two_tenants):
    client.force_login(two_tenants["a"])
    assert refused(client.get(reverse("weticket_organisations:add")))
    assert refused(
        client.get(reverse("weticket_organisations:delete", args=[two_tenants["org_a"].pk]))
    )


def test_user_without_membership_sees_no_tickets_menu(client, two_tenants):
    outsider = admin_user("outsider")
    client.force_login(outsider)
    assert refused(client.get(reverse("weticket_events:index")))
    assert refused(client.get(reverse("weticket_organisations:index")))
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("weticket_events:index") not in dashboard


def test_superuser_sees_every_tenant(client, two_tenants):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    body = client.get(reverse("weticket_events:index")).content.decode()
    assert "Alpha Night" in body and "Bravo Night" in body
