"""Vouchers in the admin: a member manages its own organisation's codes only, makes codes in
bulk and downloads them, and sees how often each was used."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)
from weticket_wagtail.ticketing.models import Voucher
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

from .test_admin_scoping import admin_user, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants():
    org_a, org_b = OrganisationFactory(name="Alpha"), OrganisationFactory(name="Bravo")
    event_a = EventFactory(organisation=org_a, title="Alpha Night")
    regular = TicketTypeFactory(event=event_a, name="Regular", price=Decimal("20.00"))
    event_b = EventFactory(organisation=org_b, title="Bravo Night")
    member = admin_user("member-a")
    MembershipFactory(organisation=org_a, user=member)
    own = Voucher.objects.create(
        organisation=org_a, code="ALPHA10", value=Decimal("10"), max_uses=5
    )
    other = Voucher.objects.create(organisation=org_b, code="BRAVO10", value=Decimal("10"))
    return {
        "org_a": org_a,
        "org_b": org_b,
        "event_a": event_a,
        "event_b": event_b,
        "regular": regular,
        "member": member,
        "own": own,
        "other": other,
    }


def test_member_lists_and_edits_only_its_own_codes_with_their_uses(client, tenants):
    reserve_tickets(tenants["event_a"], {tenants["regular"].pk: 2}, voucher=tenants["own"])
    client.force_login(tenants["member"])
    listing = client.get(reverse("weticket_vouchers:index"))
    body = listing.content.decode()
    assert listing.status_code == 200
    assert "ALPHA10" in body and "BRAVO10" not in body
    row = body.split("ALPHA10", 1)[1].split("</tr>", 1)[0]
    assert ">2<" in row.replace(" ", "").replace("\n", "")  # two tickets held with the code
    assert refused(client.get(reverse("weticket_vouchers:edit", args=[tenants["other"].pk])))
    edit = client.get(reverse("weticket_vouchers:edit", args=[tenants["own"].pk]))
    assert edit.status_code == 200


def test_member_cannot_give_a_code_to_another_organisation(client, tenants):
    client.force_login(tenants["member"])
    response = client.post(
        reverse("weticket_vouchers:add"),
        {
            "organisation": tenants["org_b"].pk,
            "code": "SNEAKY",
            "kind": "percentage",
            "value": "50",
            "max_uses": "5",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert not Voucher.objects.filter(code="SNEAKY").exists()


def test_bulk_creation_downloads_the_new_codes_as_csv(client, tenants):
    client.force_login(tenants["member"])
    assert client.get(reverse("weticket_vouchers:bulk")).status_code == 200
    response = client.post(
        reverse("weticket_vouchers:bulk"),
        {
            "organisation": tenants["org_a"].pk,
            "event": tenants["event_a"].pk,
            "count": "5",
            "prefix": "SPONSOR-",
            "kind": "fixed",
            "value": "5.00",
            "max_uses": "2",
            "tag": "sponsors",
        },
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert len(rows) == 5 and all(row[0].startswith("SPONSOR-") for row in rows)
    assert Voucher.objects.filter(organisation=tenants["org_a"], tag="sponsors").count() == 5


def test_bulk_creation_refuses_another_organisations_event_and_keeps_nothing(client, tenants):
    client.force_login(tenants["member"])
    response = client.post(
        reverse("weticket_vouchers:bulk"),
        {
            "organisation": tenants["org_b"].pk,
            "count": "3",
            "kind": "fixed",
            "value": "5.00",
            "max_uses": "1",
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Voucher.objects.count() == 2


def test_export_holds_only_the_members_codes(client, tenants):
    client.force_login(tenants["member"])
    response = client.get(reverse("weticket_vouchers:export"))
    codes = [row[0] for row in csv.reader(io.StringIO(response.content.decode()))][1:]
    assert codes == ["ALPHA10"]
