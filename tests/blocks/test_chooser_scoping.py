"""Every chooser URL and every choice a ticket block offers is scoped to the editor's
organisations: a rival organisation's member sees none of ours, by list, search or id."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page

from weticket_wagtail.blocks import TicketShopBlock
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)

from ..ticketing.test_admin_scoping import admin_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants():
    ours = OrganisationFactory(name="Ours Foundation", slug="ours")
    rival = OrganisationFactory(name="Rival Foundation", slug="rival")
    our_event = EventFactory(organisation=ours, title="Our Gala")
    our_draft = EventFactory(organisation=ours, title="Our Secret Draft", is_published=False)
    rival_event = EventFactory(organisation=rival, title="Rival Night")
    our_type = TicketTypeFactory(event=our_event, name="Gala seat")
    draft_type = TicketTypeFactory(event=our_draft, name="Draft seat")
    rival_type = TicketTypeFactory(event=rival_event, name="Rival seat")
    rival_member = admin_user("rival-member")
    MembershipFactory(organisation=rival, user=rival_member)
    client = Client()
    client.force_login(rival_member)
    return {
        "ours": ours,
        "our_event": our_event,
        "our_draft": our_draft,
        "our_type": our_type,
        "draft_type": draft_type,
        "rival_event": rival_event,
        "rival_type": rival_type,
        "rival_member": rival_member,
        "client": client,
    }


def body(response) -> str:
    """A chooser's answer: HTML (in a modal-workflow JSON envelope, or bare for results)."""
    assert response.status_code == 200, response.status_code
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


CHOOSERS = {
    "weticket_event_chooser": ("our_event", "our_draft", "rival_event"),
    "weticket_organisation_chooser": ("ours", None, None),
    "weticket_ticket_type_chooser": ("our_type", "draft_type", "rival_type"),
}


@pytest.mark.parametrize("namespace", CHOOSERS)
def test_a_rival_finds_none_of_our_rows_in_any_chooser_view(tenants, namespace):
    client = tenants["client"]
    ours, our_draft, theirs = CHOOSERS[namespace]
    hidden = [tenants[k] for k in (ours, our_draft) if k]
    for url, params in [
        (reverse(f"{namespace}:choose"), {}),
        (reverse(f"{namespace}:choose_results"), {}),
        (reverse(f"{namespace}:choose_results"), {"q": "Our"}),
        (reverse(f"{namespace}:choose"), {"multiple": "1"}),
    ]:
        text = body(client.get(url, params))
        for row in hidden:
            assert str(row) not in text, (url, params)
    for row in hidden:
        assert client.get(reverse(f"{namespace}:chosen", args=[row.pk])).status_code == 404
        multiple = client.get(reverse(f"{namespace}:chosen_multiple"), {"id": [row.pk]})
        assert multiple.status_code == 200
        assert multiple.json()["result"] == []
    for method in (client.get, client.post):
        assert method(reverse(f"{namespace}:create")).status_code == 404


@pytest.mark.parametrize("namespace", ["weticket_event_chooser", "weticket_ticket_type_chooser"])
def test_the_rival_still_chooses_its_own_rows(tenants, namespace):
    client = tenants["client"]
    theirs = tenants[CHOOSERS[namespace][2]]
    assert str(theirs) in body(client.get(reverse(f"{namespace}:choose")))
    chosen = client.get(reverse(f"{namespace}:chosen", args=[theirs.pk]))
    assert chosen.json()["result"]["id"] == str(theirs.pk)


def test_choosers_list_no_archived_events_or_ticket_types(tenants):
    client = tenants["client"]
    rival_event = tenants["rival_event"]
    other = TicketTypeFactory(event=rival_event, name="Retired seat", is_archived=True)
    listing = body(client.get(reverse("weticket_ticket_type_chooser:choose")))
    assert "Rival seat" in listing and "Retired seat" not in listing
    rival_event.is_archived = True
    rival_event.save()
    assert "Rival Night" not in body(client.get(reverse("weticket_event_chooser:choose")))
    assert "Rival seat" not in body(client.get(reverse("weticket_ticket_type_chooser:choose")))
    # An archived row a page already uses can still be shown as chosen.
    chosen = reverse("weticket_event_chooser:chosen", args=[rival_event.pk])
    assert client.get(chosen).status_code == 200
    chosen = reverse("weticket_ticket_type_chooser:chosen", args=[other.pk])
    assert client.get(chosen).status_code == 200


def test_the_page_editor_offers_no_other_organisations_ticket_types(tenants):
    """The ticket-shop block's "only these ticket types" used to list every ticket type."""
    # Page permissions from a group of its own (the member is also in its organisation's group).
    group = Group.objects.create(name="Rival page editors")
    tenants["rival_member"].groups.add(group)
    root = Page.get_first_root_node()
    for codename in ("add_page", "change_page"):
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        GroupPagePermission.objects.create(group=group, page=root, permission=permission)
    response = tenants["client"].get(
        reverse("wagtailadmin_pages:add", args=["home", "contentpage", root.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose an event" in html  # the ticket blocks are there ...
    for name in ("Gala seat", "Draft seat", "Our Gala", "Our Secret Draft"):
        assert name not in html, name  # ... with none of our names


def test_a_stored_subset_renders_and_round_trips_in_both_formats(tenants):
    event, our_type = tenants["our_event"], tenants["our_type"]
    TicketTypeFactory(event=event, name="Balcony")
    block = TicketShopBlock()
    for stored in ([str(our_type.pk)], [{"type": "item", "value": our_type.pk, "id": "a"}]):
        value = block.to_python({"event": event.pk, "ticket_types": stored})
        html = block.render(value)
        assert "Gala seat" in html and "Balcony" not in html
        assert [
            item if isinstance(item, int) else item["value"]
            for item in block.get_prep_value(value)["ticket_types"]
        ] == [our_type.pk]
