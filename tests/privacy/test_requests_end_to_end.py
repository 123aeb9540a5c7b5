"""Every type of request, from the public form through the emailed confirmation link to the
admin's answer, with the emails as the SMTP sink on loopback receives them."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.models import AuditEntry, DataSubjectRequest, SubjectFlag
from weticket_wagtail.privacy.services import flags
from weticket_wagtail.testing.factories import MembershipFactory, UserFactory
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services import notifications

from .subjects import mollie_settings, paid_order, shop

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
BUYER = "marit.de.boer@example.net"
LINK = re.compile(r"http://testserver(/tickets/privacy/(?:confirm|download)/[^\s]+/)")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contact(db):
    """A privacy contact: admin access and the "handle all requests" permission."""
    user = UserFactory(username="privacy-officer", email="officer@example.org")
    group = Group.objects.create(name="Privacy contacts")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(codename="handle_all_requests"),
    )
    user.groups.add(group)
    return user


@pytest.fixture
def world(settings, mollie_double, smtp_sink, contact):
    mollie_settings(settings, mollie_double)
    organisation, event, ticket_type = shop("Cello Huis")
    order = paid_order(mollie_double, event, ticket_type, email=BUYER, name="Marit de Boer")
    smtp_sink.clear()
    return {"order": order, "sink": smtp_sink, "organisation": organisation}


def messages_to(sink, address):
    return [m for m in sink.messages if m["To"] == address]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def links_in(message) -> list[str]:
    return LINK.findall(body(message))


def send_form(client, kind: str, email: str = BUYER, **fields):
    response = client.post(
        reverse("weticket_privacy:request"), {"kind": kind, "email": email, **fields}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    assert "What happens next" in page.content.decode()
    return page


def confirm_by_email(client, sink, email: str = BUYER) -> DataSubjectRequest:
    [message] = [m for m in messages_to(sink, email) if "confirm" in m["Subject"].lower()]
    [url] = links_in(message)
    asked = client.get(url)
    assert asked.status_code == 200 and "Confirm my request" in asked.content.decode()
    assert DataSubjectRequest.objects.get().status == Status.NEW  # a link scanner confirms nothing
    confirmed = client.post(url)
    assert confirmed.status_code == 200 and "is confirmed" in confirmed.content.decode()
    req = DataSubjectRequest.objects.get()
    assert req.status == Status.VERIFIED and req.due_on is not None
    received = [m for m in messages_to(sink, email) if "We have your" in m["Subject"]]
    assert received and req.reference in body(received[0])
    return req


def act(client, req, action: str, expect: int = 302, **data):
    url = reverse("weticket_privacy_requests:action", args=[req.pk, action])
    assert client.get(url).status_code == 200
    response = client.post(url, data)
    assert response.status_code == expect, response.content.decode()[:3000]
    req.refresh_from_db()
    return response


def handler_was_told(sink, req):
    staff = messages_to(sink, "officer@example.org")
    assert any(req.reference in m["Subject"] for m in staff)
    assert all(BUYER not in body(m) for m in staff)  # staff emails name no requester


@pytest.mark.parametrize("kind", [Kind.ACCESS, Kind.PORTABILITY])
def test_access_and_portability_end_with_a_download_of_everything_held(
    client, world, contact, kind
):
    sink = world["sink"]
    send_form(client, kind, name="Marit")
    req = confirm_by_email(client, sink)
    assert req.assignee == contact  # routed to the privacy contact
    handler_was_told(sink, req)

    client.force_login(contact)
    inspect = client.get(reverse("weticket_privacy_requests:inspect", args=[req.pk])).content
    assert b"Orders" in inspect and b"Tickets" in inspect
    act(client, req, "export_link", message="Here is everything.")
    assert req.status == Status.COMPLETED

    [ready] = [m for m in messages_to(sink, BUYER) if "ready to download" in m["Subject"]]
    [url] = links_in(ready)
    client.logout()
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    document = json.loads(archive.read("data.json"))
    orders = next(e for e in document["records"] if e["model"] == "weticket_ticketing.order")
    assert orders["rows"][0]["values"]["buyer_name"] == "Marit de Boer"
    assert {"index.html", "schema.json"} <= set(archive.namelist())
    assert req.audit_entries.filter(action=AuditEntry.Action.DOWNLOADED).exists()


def test_rectification_corrects_every_record_and_is_audited(client, world, contact):
    sink = world["sink"]
    send_form(client, Kind.RECTIFICATION, details="My name is spelled Marith.")
    req = confirm_by_email(client, sink)
    client.force_login(contact)
    key = "weticket_ticketing.order:buyer:buyer_name"
    form = client.get(reverse("weticket_privacy_requests:action", args=[req.pk, "rectify"]))
    assert "Marit de Boer" in form.content.decode()
    as_shown = {name: field.initial or "" for name, field in form.context["form"].fields.items()}
    act(client, req, "rectify", **{**as_shown, key: "Marith de Boer"})
    act(client, req, "complete", message="Corrected on your orders and tickets.")

    order = Order.objects.get(pk=world["order"].pk)
    assert order.buyer_name == "Marith de Boer"
    entry = req.audit_entries.get(action=AuditEntry.Action.RECTIFIED)
    assert "Marit" not in entry.message and "1" in entry.message
    [done] = [m for m in messages_to(sink, BUYER) if "is done" in m["Subject"]]
    assert "Corrected on your orders" in body(done)


def test_erasure_exports_first_then_erases_and_says_so(client, world, contact, settings):
    settings.WETICKET = {**settings.WETICKET, "PRIVACY_ERASURE_FUTURE_TICKETS": "keep"}
    sink = world["sink"]
    send_form(client, Kind.ERASURE)
    req = confirm_by_email(client, sink)
    client.force_login(contact)
    act(client, req, "erase", expect=400, confirm="on")  # refused: no export yet
    assert (
        b"Download the export first"
        in client.post(
            reverse("weticket_privacy_requests:action", args=[req.pk, "erase"]), {"confirm": "on"}
        ).content
    )
    download = client.get(reverse("weticket_privacy_requests:action", args=[req.pk, "download"]))
    assert download.status_code == 200 and download.content[:2] == b"PK"
    act(client, req, "erase", confirm="on")

    order = Order.objects.get(pk=world["order"].pk)
    assert order.buyer_email == "" and order.anonymised_at is not None
    assert order.status == Order.Status.PAID  # "keep": the tickets stay valid
    [erased] = [m for m in sink.messages if "erased" in m["Subject"]]
    assert erased["To"] == BUYER
    req.refresh_from_db()
    assert req.status == Status.COMPLETED and req.email == ""
    assert not OutboxMessage.objects.filter(to=BUYER).exists()


@pytest.mark.parametrize("kind", [Kind.RESTRICTION, Kind.OBJECTION])
def test_restriction_and_objection_put_a_limit_that_campaigns_honour(client, world, contact, kind):
    sink = world["sink"]
    details = {"details": "I object to being emailed."} if kind == Kind.OBJECTION else {}
    send_form(client, kind, **details)
    req = confirm_by_email(client, sink)
    client.force_login(contact)
    act(client, req, "flag", kind=kind, reason="Asked for it.", complete="on")

    assert req.status == Status.COMPLETED
    assert flags.is_limited(BUYER) and SubjectFlag.objects.get().kind == kind
    assert not flags.is_limited("someone.else@example.net")
    from weticket_wagtail.privacy.registry import personal_data

    emails = {s.email for batch in personal_data.subjects() for s in batch}
    assert BUYER in emails  # the registry still knows them …
    assert flags.exclude_limited(emails) == {BUYER}  # … and campaigns leave them out
    [done] = [m for m in messages_to(sink, BUYER) if "is done" in m["Subject"]]
    assert "essential" in body(done)
    lift = reverse("weticket_privacy_requests:action", args=[req.pk, "lift"])
    assert client.post(lift, {"flag": SubjectFlag.objects.get().pk}).status_code == 302
    assert not flags.is_limited(BUYER)


def test_the_automatic_cancellation_email_offers_a_review_by_a_person(client, world, contact):
    sink = world["sink"]
    order = world["order"]
    from django.db import transaction

    with transaction.atomic():
        notifications.queue_sold_out_after_payment(order)
    [email] = [m for m in messages_to(sink, BUYER) if "review" in body(m)]
    review_url = re.search(r"http://testserver(/tickets/privacy/\?[^\s]+)", body(email)).group(1)
    form = client.get(review_url).content.decode()
    assert re.search(r'<input[^>]*value="human_review"[^>]*checked', form)
    assert order.reference in form

    send_form(
        client,
        Kind.HUMAN_REVIEW,
        order_reference=order.reference,
        details="I paid in time; please look again.",
    )
    req = confirm_by_email(client, sink)
    assert req.order_reference == order.reference and req.assignee == contact
    client.force_login(contact)
    act(client, req, "status", status=Status.IN_PROGRESS, note="Checking Mollie's timestamps.")
    act(client, req, "reply", message="We are checking the payment times.", waiting="")
    act(client, req, "complete", message="A person reviewed it: the cancellation stands.")
    actions = list(req.audit_entries.values_list("action", flat=True))
    assert actions[:2] == ["submitted", "verified"] and actions[-1] == "completed"
    mails = [body(m) for m in messages_to(sink, BUYER)]
    assert any("checking the payment times" in text for text in mails)
    assert any("the cancellation stands" in text for text in mails)


def test_a_complaint_is_routed_to_a_person_replied_to_and_closed(client, world, contact):
    sink = world["sink"]
    send_form(client, Kind.COMPLAINT, details="You emailed me twice.")
    req = confirm_by_email(client, sink)
    handler_was_told(sink, req)
    client.force_login(contact)
    act(client, req, "reply", message="Which emails were they?", waiting="on")
    assert req.status == Status.WAITING
    act(client, req, "note", note="Requester answered by phone.")
    act(client, req, "complete", message="Fixed: you will get one email from now on.")
    assert req.status == Status.COMPLETED
    assert any("one email from now on" in body(m) for m in messages_to(sink, BUYER))


def test_an_organiser_exercises_their_rights_the_same_way(client, world, contact):
    sink = world["sink"]
    organiser = UserFactory(username="cello-staff", email="staff@cello.example", first_name="Ruud")
    MembershipFactory(organisation=world["organisation"], user=organiser)
    send_form(client, Kind.ACCESS, email="Staff@Cello.example")
    req = confirm_by_email(client, sink, email="staff@cello.example")
    assert set(req.records_summary) >= {
        "auth.user:account",
        "weticket_ticketing.organisationmembership:member",
    }
    assert req.tenants.get().tenant_id == world["organisation"].pk
