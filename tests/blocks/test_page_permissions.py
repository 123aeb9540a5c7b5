"""An organisation's members edit its own pages: its group, made with it, holds its members and
page permissions on its branded ticket pages, and on nobody else's."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Site

from weticket_wagtail.blocks.forms import BrandedTicketPageForm
from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.testing.factories import MembershipFactory, OrganisationFactory
from weticket_wagtail.ticketing.models import Organisation, OrganisationMembership

from ..ticketing.test_admin_scoping import admin_user

pytestmark = pytest.mark.django_db


def branded_page(organisation, slug: str) -> BrandedTicketPage:
    root = Site.objects.get(is_default_site=True).root_page
    page = root.add_child(
        instance=BrandedTicketPage(title=f"Tickets {slug}", slug=slug, organisation=organisation)
    )
    page.save_revision().publish()
    return page


def test_the_group_is_made_with_the_organisation_and_follows_its_members():
    organisation = OrganisationFactory(name="Stichting Licht", slug="licht")
    group = Organisation.objects.get(pk=organisation.pk).editors_group
    assert group.name == "Stichting Licht: pages (licht)"
    membership = MembershipFactory(organisation=organisation)
    assert list(group.user_set.all()) == [membership.user]
    organisation.name = "Stichting Licht en Geluid"
    organisation.save()
    group.refresh_from_db()
    assert group.name == "Stichting Licht en Geluid: pages (licht)"
    OrganisationMembership.objects.filter(pk=membership.pk).delete()
    assert not group.user_set.exists()
    organisation.delete()
    assert not Group.objects.filter(pk=group.pk).exists()


def test_members_edit_their_own_pages_and_not_anothers(client):
    ours, theirs = OrganisationFactory(slug="ours"), OrganisationFactory(slug="theirs")
    our_page, their_page = branded_page(ours, "ours-tickets"), branded_page(theirs, "theirs")
    member = admin_user("member")
    MembershipFactory(organisation=ours, user=member)
    client.force_login(member)
    assert client.get("/admin/pages/", follow=True).status_code == 200  # the Pages menu opens
    assert client.get(f"/admin/pages/{our_page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{their_page.pk}/edit/").status_code in (302, 403)
    home = our_page.get_parent()
    assert client.get(f"/admin/pages/{home.pk}/edit/").status_code in (302, 403)
    permissions = our_page.permissions_for_user(member)
    assert permissions.can_edit() and permissions.can_publish()
    assert not their_page.permissions_for_user(member).can_edit()


def test_handing_a_page_to_another_organisation_moves_the_permissions():
    first, second = OrganisationFactory(slug="first"), OrganisationFactory(slug="second")
    page = branded_page(first, "moving")
    first_member = MembershipFactory(organisation=first).user
    second_member = MembershipFactory(organisation=second).user
    assert page.permissions_for_user(first_member).can_edit()
    assert not page.permissions_for_user(second_member).can_edit()
    page.organisation = second
    page.save_revision().publish()
    page.refresh_from_db()
    user_model = type(first_member)
    first_member, second_member = (
        user_model.objects.get(pk=u.pk) for u in (first_member, second_member)
    )
    assert not page.permissions_for_user(first_member).can_edit()  # (fresh users: no caches)
    assert page.permissions_for_user(second_member).can_edit()


def test_a_member_can_only_choose_their_own_organisation_for_a_page():
    ours, theirs = OrganisationFactory(slug="ours"), OrganisationFactory(slug="theirs")
    member = admin_user("member")
    MembershipFactory(organisation=ours, user=member)
    form_class = BrandedTicketPage.get_edit_handler().get_form_class()
    assert issubclass(form_class, BrandedTicketPageForm)
    form = form_class(instance=BrandedTicketPage(), for_user=member)
    assert list(form.fields["organisation"].queryset) == [ours]
    assert theirs not in form.fields["organisation"].queryset


def test_the_demo_organiser_can_edit_its_branded_page(client):
    call_command("weticket_demo", stdout=io.StringIO())
    page = BrandedTicketPage.objects.get(slug="kaartjes")
    assert client.login(username="organiser", password="organiser-tickets-2026")
    # The organiser's pages sit in both language trees: the explorer opens above them, and
    # the Dutch home lists the Dutch ticket page.
    assert client.get("/admin/pages/", follow=True).status_code == 200
    explorer = client.get(f"/admin/pages/{page.get_parent().pk}/")
    assert explorer.status_code == 200 and "Kaartjes Zomeravond" in explorer.content.decode()
    english = BrandedTicketPage.objects.exclude(pk=page.pk).get(locale__language_code="en")
    assert client.get(f"/admin/pages/{english.pk}/edit/").status_code == 200
    edit = client.get(f"/admin/pages/{page.pk}/edit/")
    assert edit.status_code == 200 and "Kaartjes Zomeravond" in edit.content.decode()
    assert client.get(f"/admin/pages/{page.get_parent().pk}/edit/").status_code in (302, 403)
