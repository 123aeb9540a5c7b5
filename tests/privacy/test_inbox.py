"""The request inbox: tenants see only requests about their data; the privacy contact sees all."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.privacy.models import DataSubjectRequest
from weticket_wagtail.privacy.services import requests
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from weticket_wagtail.ticketing.models import Order

pytestmark = pytest.mark.django_db

Kind = DataSubjectRequest.Kind


def staff(username: str, *codenames: str, organisation=None):
    user = UserFactory(username=username)
    group = Group.objects.create(name=f"group of {username}")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="weticket_privacy", codename__in=codenames
        ),
    )
    user.groups.add(group)
    if organisation is not None:
        MembershipFactory(organisation=organisation, user=user)
    return user


def order_for(organisation, email: str, name: str = "Buyer") -> Order:
    event = EventFactory(organisation=organisation)
    return Order.objects.create(
        organisation=organisation,
        event=event,
        buyer_name=name,
        buyer_email=email,
        total=Decimal("10.00"),
        status=Order.Status.PAID,
    )


def confirmed(email: str, kind=Kind.ACCESS, **extra) -> DataSubjectRequest:
    req = requests.submit_request(kind=kind, email=email, **extra)
    req, _ = requests.verify_request(requests.sign_link(req, requests.CONFIRM_SALT))
    return req


@pytest.fixture
def tenants():
    alpha = OrganisationFactory(name="Alpha")
    bravo = OrganisationFactory(name="Bravo")
    order_for(alpha, "ann@example.net", "Ann Alpha")
    order_for(bravo, "bob@example.net", "Bob Bravo")
    order_for(alpha, "both@example.net")
    order_for(bravo, "both@example.net")
    return {
        "alpha": alpha,
        "bravo": bravo,
        "ann": confirmed("ann@example.net"),
        "bob": confirmed("bob@example.net"),
        "both": confirmed("both@example.net", kind=Kind.RECTIFICATION, details="fix"),
        "stranger": confirmed("stranger@example.net", kind=Kind.COMPLAINT, details="hi"),
        "alpha_staff": staff(
            "alpha-staff",
            "view_datasubjectrequest",
            "change_datasubjectrequest",
            organisation=alpha,
        ),
        "contact": staff("officer", "handle_all_requests"),
    }


def listed(client, user, **params) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("weticket_privacy_requests:index"), params)
    assert response.status_code == 200
    return {req.reference for req in response.context["object_list"]}


def test_organisation_staff_see_only_requests_about_their_organisations_data(client, tenants):
    t = tenants
    assert listed(client, t["alpha_staff"]) == {t["ann"].reference, t["both"].reference}
    for req in (t["bob"], t["stranger"]):
        for url in (
            reverse("weticket_privacy_requests:inspect", args=[req.pk]),
            reverse("weticket_privacy_requests:action", args=[req.pk, "note"]),
        ):
            assert client.get(url).status_code == 404
            assert client.post(url, {"note": "x"}).status_code == 404
    page = client.get(reverse("weticket_privacy_requests:inspect", args=[t["both"].pk]))
    text = page.content.decode()
    assert "Alpha" in text and "Bravo" not in text  # only their organisation is named
    assert "Only the records of your organisations are shown." in text


def test_the_privacy_contact_sees_every_request(client, tenants):
    t = tenants
    expected = {t[name].reference for name in ("ann", "bob", "both", "stranger")}
    assert listed(client, t["contact"]) == expected
    assert listed(client, UserFactory(username="root", is_superuser=True)) == expected


def test_staff_without_the_permission_see_nothing(client, tenants):
    member = staff("plain-member", organisation=tenants["alpha"])
    client.force_login(member)
    response = client.get(reverse("weticket_privacy_requests:index"))
    assert response.status_code in (302, 403)
    assert client.get(
        reverse("weticket_privacy_requests:inspect", args=[tenants["ann"].pk])
    ).status_code in (302, 403, 404)


def test_export_erasure_and_limits_are_for_the_privacy_contact(client, tenants):
    client.force_login(tenants["alpha_staff"])
    for action in ("export_link", "download", "erase", "flag"):
        url = reverse("weticket_privacy_requests:action", args=[tenants["ann"].pk, action])
        response = client.get(url)
        assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
        assert client.post(url, {"confirm": "on"}).status_code in (302, 403)
    assert DataSubjectRequest.objects.get(pk=tenants["ann"].pk).is_open


def test_tenant_staff_correct_only_their_organisations_rows(client, tenants):
    client.force_login(tenants["alpha_staff"])
    req = tenants["both"]
    url = reverse("weticket_privacy_requests:action", args=[req.pk, "rectify"])
    form = client.get(url).context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    data["weticket_ticketing.order:buyer:buyer_name"] = "Corrected"
    assert client.post(url, data).status_code == 302
    names = dict(
        Order.objects.filter(buyer_email="both@example.net").values_list(
            "organisation__name", "buyer_name"
        )
    )
    assert names == {"Alpha": "Corrected", "Bravo": "Buyer"}


def test_an_order_page_links_to_correcting_its_buyer_within_the_tenant(client, tenants):
    t = tenants
    alpha_order = Order.objects.get(buyer_email="ann@example.net")
    bravo_order = Order.objects.get(buyer_email="bob@example.net")
    client.force_login(t["alpha_staff"])
    inspect = client.get(reverse("weticket_orders:inspect", args=[alpha_order.pk])).content.decode()
    assert "Correct personal data" in inspect
    url = reverse("weticket_privacy_requests:rectify_record")
    assert client.get(url, {"record": bravo_order.object_ref}).status_code == 404
    page = client.get(url, {"record": alpha_order.object_ref, "next": "/admin/"})
    data = {name: field.initial or "" for name, field in page.context["form"].fields.items()}
    data["weticket_ticketing.order:buyer:buyer_phone"] = "+31 20 123 4567"
    response = client.post(f"{url}?record={alpha_order.object_ref}&next=/admin/", data)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    alpha_order.refresh_from_db()
    assert alpha_order.buyer_phone == "+31 20 123 4567"
    entry = alpha_order and requests.subject_digest("ann@example.net")
    from weticket_wagtail.privacy.models import AuditEntry

    assert AuditEntry.objects.filter(subject_digest=entry, action="rectified").exists()


def test_overdue_requests_are_highlighted_filtered_and_on_the_dashboard(client, tenants):
    t = tenants
    today = timezone.localdate()
    DataSubjectRequest.objects.filter(pk=t["ann"].pk).update(
        due_on=today - datetime.timedelta(days=2)
    )
    DataSubjectRequest.objects.filter(pk=t["both"].pk).update(
        due_on=today + datetime.timedelta(days=3)
    )
    assert listed(client, t["alpha_staff"], due="overdue") == {t["ann"].reference}
    assert listed(client, t["alpha_staff"], due="soon") == {
        t["ann"].reference,
        t["both"].reference,
    }
    listing = client.get(reverse("weticket_privacy_requests:index")).content.decode()
    assert "overdue" in listing and "w-status--primary" in listing
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Privacy requests due" in dashboard
    assert t["ann"].reference in dashboard and t["bob"].reference not in dashboard
    inspect = client.get(reverse("weticket_privacy_requests:inspect", args=[t["ann"].pk]))
    assert "Overdue: this request had to be answered" in inspect.content.decode()
