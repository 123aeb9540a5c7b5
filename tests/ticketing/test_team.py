"""Who belongs to an organisation is decided by superusers and by the organisation's own team
managers; the admin never lists users, so no organisation learns who else is on the platform."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from weticket_wagtail.testing.factories import MembershipFactory, OrganisationFactory, UserFactory
from weticket_wagtail.ticketing.models import Organisation, OrganisationMembership

from .test_admin_scoping import admin_user
from .test_validation import formset

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    """The demo's content and users, plus a rival organisation with a member of its own."""
    call_command("weticket_demo", stdout=io.StringIO())
    organisation = Organisation.objects.get(slug="zomeravond")
    rival = OrganisationFactory(name="Rival Events", slug="rival")
    rival_member = admin_user("rival-member")
    MembershipFactory(organisation=rival, user=rival_member)
    return {
        "organisation": organisation,
        "organiser": get_user_model().objects.get(username="organiser"),
        "rival": rival,
        "rival_member": rival_member,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(organisation) -> str:
    return reverse("weticket_organisations:edit", args=[organisation.pk])


def organisation_data(organisation, members: list[dict]) -> dict:
    rows = []
    for member in members:
        row = {"user": member["user"]}
        if member.get("manager"):
            row["can_manage_team"] = "on"
        if member.get("id"):
            row["id"] = str(member["id"])
        if member.get("delete"):
            row["DELETE"] = "1"
        rows.append(row)
    data = {
        "name": organisation.name,
        "slug": organisation.slug,
        "contact_email": organisation.contact_email,
        "primary_colour": organisation.primary_colour,
        "accent_colour": organisation.accent_colour,
        "font": organisation.font,
        "embed_origins": organisation.embed_origins,
        **formset("memberships", rows),
    }
    data["memberships-INITIAL_FORMS"] = str(sum(1 for m in members if m.get("id")))
    return data


def current_members(organisation) -> list[dict]:
    return [
        {"user": m.user.username, "id": m.pk, "manager": m.can_manage_team}
        for m in organisation.memberships.order_by("pk")
    ]


def test_the_member_form_lists_no_users_at_all(demo):
    client = logged_in(demo["organiser"])
    html = client.get(edit_url(demo["organisation"])).content.decode()
    assert "Username or email address" in html
    assert "rival-member" not in html  # another organisation's member
    assert 'value="demo"' not in html and ">demo<" not in html  # the superuser
    assert 'name="memberships-0-user" value="organiser"' in html  # members shown by name
    assert not re.search(r'<select[^>]*name="memberships-', html)
    assert "memberships-__prefix__-user" in html and "&lt;select" not in html


def test_a_team_manager_adds_an_existing_colleague_by_exact_email(demo):
    organisation = demo["organisation"]
    UserFactory(username="sanne", email="Sanne@Zomeravond.example")
    client = logged_in(demo["organiser"])
    data = organisation_data(
        organisation, [*current_members(organisation), {"user": "sanne@zomeravond.example"}]
    )
    response = client.post(edit_url(organisation), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert organisation.memberships.filter(user__username="sanne").exists()


def test_an_unknown_or_ambiguous_name_is_a_form_error_that_names_nobody(demo):
    organisation = demo["organisation"]
    UserFactory(username="twin-a", email="twins@example.org")
    UserFactory(username="twin-b", email="twins@example.org")
    client = logged_in(demo["organiser"])
    for wanted, message in [
        ("nobody@example.org", "No active user has exactly this username or email address"),
        ("twins@example.org", "Several users have this email address"),
    ]:
        data = organisation_data(organisation, [*current_members(organisation), {"user": wanted}])
        response = client.post(edit_url(organisation), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert message in html
        assert "twin-a" not in html and "twin-b" not in html
    assert organisation.memberships.count() == 1


def test_a_member_without_the_team_permission_cannot_change_the_team(demo):
    organisation = demo["organisation"]
    plain = admin_user("plain-member")
    MembershipFactory(organisation=organisation, user=plain)
    intruder = UserFactory(username="intruder")
    client = logged_in(plain)
    html = client.get(edit_url(organisation)).content.decode()
    assert "Username or email address" not in html and "organiser" not in html
    data = organisation_data(organisation, [{"user": "intruder", "manager": True}])
    response = client.post(edit_url(organisation), data)
    assert response.status_code == 302  # the rest of the form saves; the team is untouched
    assert not organisation.memberships.filter(user=intruder).exists()
    assert organisation.memberships.count() == 2


def test_a_rival_member_cannot_open_or_change_our_team(demo):
    organisation = demo["organisation"]
    client = logged_in(demo["rival_member"])
    assert client.get(edit_url(organisation)).status_code in (302, 403, 404)
    data = organisation_data(organisation, [{"user": "rival-member", "manager": True}])
    response = client.post(edit_url(organisation), data)
    assert response.status_code in (302, 403, 404)
    assert not organisation.memberships.filter(user=demo["rival_member"]).exists()
    # Nor can a rival team manager see our people from its own organisation's form.
    OrganisationMembership.objects.filter(user=demo["rival_member"]).update(can_manage_team=True)
    html = client.get(edit_url(demo["rival"])).content.decode()
    assert "organiser" not in html


def test_the_team_permission_is_for_one_organisation_only(demo):
    organisation, rival = demo["organisation"], demo["rival"]
    organiser = demo["organiser"]
    MembershipFactory(organisation=rival, user=organiser)  # a plain member there
    client = logged_in(organiser)
    assert "Username or email address" in client.get(edit_url(organisation)).content.decode()
    assert "Username or email address" not in client.get(edit_url(rival)).content.decode()


def test_a_superuser_manages_any_team_the_same_way(demo):
    organisation = demo["rival"]
    client = logged_in(get_user_model().objects.get(username="demo"))
    data = organisation_data(
        organisation, [*current_members(organisation), {"user": "organiser", "manager": True}]
    )
    assert client.post(edit_url(organisation), data).status_code == 302
    membership = organisation.memberships.get(user__username="organiser")
    assert membership.can_manage_team
