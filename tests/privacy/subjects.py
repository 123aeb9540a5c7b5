"""Builders for data-subject tests: real orders paid through the Mollie double, and a planter per
registration that fills every registered field of one row with a recognisable value.

``PLANTERS`` must cover every registration of the registry: a new registration without a
planter fails the export-completeness test (and so the no-trace test covers it too).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.contrib.forms.models import FormSubmission
from wagtail.models import Page

from weticket_wagtail.checkin.models import Checkin, CheckinList
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.services import start_payment, sync_payment
from weticket_wagtail.privacy.models import (
    AuditEntry,
    CampaignRecipient,
    ConsentRecord,
    DataSubjectRequest,
    NotificationCampaign,
    PolicyVersion,
    SubjectFlag,
)
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)
from weticket_wagtail.ticketing.models import Order, OrderLine, Organisation, Reservation, Ticket
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.waitinglist.models import WaitingListEntry

ORG_KEY = "test_" + "PrivKey" * 5


def mollie_settings(settings, double) -> None:
    settings.WETICKET = {
        **settings.WETICKET,
        "MOLLIE_API_ENDPOINT": double.api_endpoint,
        "MOLLIE_TIMEOUT": 3,
        "PRIVACY_CONTACT_EMAIL": "privacy@example.org",
    }


def shop(name: str, *, price=Decimal("20.00"), days: int = 30, site=None):
    """An organisation with one event ``days`` from now and one ticket type."""
    slug = name.lower().replace(" ", "-")
    organisation = OrganisationFactory(
        name=name,
        slug=slug,
        mollie_api_key=ORG_KEY,
        contact_email=f"info@{slug}.example",
        site=site,
    )
    starts = timezone.now() + datetime.timedelta(days=days)
    event = EventFactory(
        organisation=organisation,
        title=f"{name} night",
        slug=f"{slug}-night-{days}",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
    )
    ticket_type = TicketTypeFactory(event=event, name="Regular", price=price, capacity=100)
    return organisation, event, ticket_type


def paid_order(
    double, event, ticket_type, *, email: str, name: str, phone: str = "", quantity: int = 2
) -> Order:
    """An order placed and paid through the Mollie double, its tickets issued."""
    reservation = reserve_tickets(event, {ticket_type.pk: quantity})
    order = place_order(
        reservation, buyer_name=name, buyer_email=email, buyer_phone=phone, language="en"
    )
    if order.total:
        payment = start_payment(order, redirect_url="http://testserver/return/")
        double.set_status(payment.mollie_id, "paid", method="ideal", notify=False)
        sync_payment(payment.mollie_id)
    order.refresh_from_db()
    return order


def backdate_event(event, days: int) -> None:
    """Move an event ``days`` into the past (after its orders were paid)."""
    starts = timezone.now() - datetime.timedelta(days=days)
    type(event).objects.filter(pk=event.pk).update(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=3)
    )


# --- planting one row per registration ----------------------------------------------------------


def _user(email: str, marker: str):
    user_model = get_user_model()
    user = user_model.objects.filter(email=email).first()
    if user is None:
        user = user_model.objects.create_user(
            username=f"{marker}-login",
            email=email,
            password="x",  # noqa: S106
            first_name=f"{marker}-first",
            last_name=f"{marker}-last",
        )
    return user


def _order(email: str, marker: str) -> Order:
    order = Order.objects.filter(buyer_email=email).first()
    if order is not None:
        return order
    organisation, event, ticket_type = shop(f"Plant {marker[-6:]}")
    order = Order.objects.create(
        organisation=organisation,
        event=event,
        buyer_name=f"{marker}-name",
        buyer_email=email,
        buyer_phone=f"{marker}-phone",
        buyer_address=f"{marker}-address",
        total=Decimal("12.34"),
        status=Order.Status.PAID,
        paid_at=timezone.now(),
    )
    OrderLine.objects.create(
        order=order,
        ticket_type=ticket_type,
        name=f"{marker}-line",
        quantity=1,
        unit_price=Decimal("12.34"),
        vat_rate=Decimal("9.00"),
    )
    return order


def _payment(email: str, marker: str) -> Payment:
    order = _order(email, marker)
    payment = order.payments.first()
    if payment is None:
        payment = Payment.objects.create(
            order=order, mollie_id=f"tr_{marker}", amount=order.total, status="paid"
        )
    return payment


def _request(email: str, marker: str) -> DataSubjectRequest:
    req = DataSubjectRequest.objects.filter(email=email).first()
    if req is None:
        req = DataSubjectRequest.objects.create(
            kind=DataSubjectRequest.Kind.ACCESS,
            email=email,
            name=f"{marker}-req-name",
            details=f"{marker}-details",
            order_reference=f"{marker}-ref"[:32],
            consent_id=marker[:19],
            reply=f"{marker}-reply",
            rejection_reason=f"{marker}-rejection",
            extension_reason=f"{marker}-extension",
            status=DataSubjectRequest.Status.COMPLETED,
        )
    return req


def _campaign() -> NotificationCampaign:
    campaign = NotificationCampaign.objects.first()
    if campaign is not None:
        return campaign
    page = Page.objects.filter(depth=2).first()
    version = PolicyVersion.objects.create(
        page=page,
        number=1,
        locale=page.locale,
        title="Planted",
        rendered_html="<p>x</p>",
        rendered_text="x",
        body_json=[],
        content_hash="0" * 64,
    )
    return NotificationCampaign.objects.create(version=version)


def plant_user(email, marker):
    _user(email, marker)


def plant_outbox(email, marker):
    OutboxMessage.objects.create(
        dedupe_key=f"{marker}-dedupe",
        to=email,
        subject=f"{marker}-subject",
        body_text=f"{marker}-text",
        body_html=f"<p>{marker}-html</p>",
        attachments=[{"kind": "none", "args": {"note": f"{marker}-attachment"}}],
        last_error=f"{marker}-error",
        status=OutboxMessage.Status.SENT,
    )


def plant_outbox_reply_to(email, marker):
    OutboxMessage.objects.create(
        dedupe_key=f"{marker}-dedupe-reply",
        to="someone-else@example.net",
        reply_to=email,
        subject="x",
        body_text="x",
        status=OutboxMessage.Status.SENT,
    )


def plant_campaign_recipient(email, marker):
    CampaignRecipient.objects.create(campaign=_campaign(), email=email, name=f"{marker}-cr-name")


def plant_policy_publisher(email, marker):
    user = _user(email, marker)
    page = Page.objects.filter(depth=2).first()
    PolicyVersion.objects.create(
        page=page,
        number=PolicyVersion.objects.filter(page=page).count() + 100,
        locale=page.locale,
        title="Published",
        rendered_html="<p>x</p>",
        rendered_text="x",
        body_json=[],
        content_hash="1" * 64,
        published_by=user.get_username(),
    )


def plant_request(email, marker):
    _request(email, marker)


def plant_request_assignee(email, marker):
    DataSubjectRequest.objects.create(
        kind=DataSubjectRequest.Kind.COMPLAINT,
        email="another-requester@example.net",
        assignee=_user(email, marker),
    )


def plant_audit(email, marker):
    AuditEntry.objects.create(
        request=_request(email, marker), action="note", note=f"{marker}-audit-note"
    )
    from weticket_wagtail.privacy.services.requests import subject_digest

    AuditEntry.objects.create(action="rectified", subject_digest=subject_digest(email))


def plant_audit_actor(email, marker):
    user = _user(email, marker)
    AuditEntry.objects.create(action="note", actor=user, actor_label=user.get_username())


def plant_consent_record(email, marker):
    """A cookie choice made in the browser the subject's request came from."""
    req = _request(email, marker)
    ConsentRecord.objects.create(
        consent_id=req.consent_id,
        method=ConsentRecord.Method.ACCEPT_ALL,
        accepted={"analytics": "2026-01-01T00:00:00"},
        ip_prefix=f"{marker}-ip-network",
        user_agent_family=f"{marker}-browser",
    )
    ConsentRecord.objects.create(consent_id="ZZZZ-ZZZZ-ZZZZ-ZZZZ", ip_prefix="192.0.2.0/24")


def plant_reservation(email, marker):
    """The hold behind the subject's order, still carrying the hold limits' keyed hashes."""
    order = _order(email, marker)
    reservation = Reservation.objects.create(
        event=order.event,
        expires_at=timezone.now(),
        browser_hash=f"{marker}-browser-hash",
        address_hash=f"{marker}-address-hash",
    )
    Order.objects.filter(pk=order.pk).update(reservation=reservation)


def plant_waiting_list_entry(email, marker):
    """A confirmed place on the waiting list of a sold-out ticket type."""
    _organisation, event, ticket_type = shop(f"Wait {marker[-6:]}")
    now = timezone.now()
    WaitingListEntry.objects.create(
        event=event,
        ticket_type=ticket_type,
        email=email,
        language="en",
        consented_at=now,
        confirmed_at=now,
        status=WaitingListEntry.Status.WAITING,
    )


def plant_flag(email, marker):
    SubjectFlag.objects.create(email=email, kind="objection", reason=f"{marker}-flag-reason")


def plant_order(email, marker):
    _order(email, marker)


def plant_order_line(email, marker):
    _order(email, marker)


def plant_ticket(email, marker):
    order = _order(email, marker)
    Ticket.objects.create(order=order, line=order.lines.first(), holder_name=f"{marker}-holder")


def plant_checkin(email, marker):
    """A ticket of the person checked in at the door, at an entrance named after the marker."""
    order = _order(email, marker)
    ticket = Ticket.objects.create(order=order, line=order.lines.first(), holder_name="")
    checkin_list = CheckinList.objects.create(event=order.event, name="Door")
    Checkin.objects.create(
        checkin_list=checkin_list,
        ticket=ticket,
        entrance=f"{marker}-gate"[-60:],
        scanned_at=timezone.now(),
    )


def plant_organisation(email, marker):
    OrganisationFactory(contact_email=email, slug=f"org-{marker[-8:]}".lower())


def plant_membership(email, marker):
    organisation = Organisation.objects.first() or OrganisationFactory()
    MembershipFactory(organisation=organisation, user=_user(email, marker))


def plant_payment(email, marker):
    _payment(email, marker)


def plant_refund(email, marker):
    Refund.objects.create(
        payment=_payment(email, marker), amount=Decimal("1.00"), reason=f"{marker}-refund-reason"
    )


def plant_refund_staff(email, marker):
    Refund.objects.create(
        payment=Payment.objects.create(
            order=_order("other-buyer@example.net", marker + "x"),
            amount=Decimal("1"),
            status="paid",
        ),
        amount=Decimal("1.00"),
        created_by=_user(email, marker),
    )


def plant_form_submission(email, marker):
    FormSubmission.objects.create(
        page=Page.objects.filter(depth=2).first(),
        form_data={"email": email.upper(), "message": f"{marker}-form-message"},
    )


PLANTERS: dict[str, Callable[[str, str], None]] = {
    "auth.user:account": plant_user,
    "weticket_mail.outboxmessage:recipient": plant_outbox,
    "weticket_mail.outboxmessage:reply_to": plant_outbox_reply_to,
    "weticket_privacy.campaignrecipient:recipient": plant_campaign_recipient,
    "weticket_privacy.policyversion:publisher": plant_policy_publisher,
    "weticket_privacy.datasubjectrequest:requester": plant_request,
    "weticket_privacy.datasubjectrequest:assignee": plant_request_assignee,
    "weticket_privacy.auditentry:subject": plant_audit,
    "weticket_privacy.auditentry:actor": plant_audit_actor,
    "weticket_privacy.subjectflag:subject": plant_flag,
    "weticket_privacy.consentrecord:visitor": plant_consent_record,
    "weticket_ticketing.order:buyer": plant_order,
    "weticket_ticketing.orderline:buyer": plant_order_line,
    "weticket_ticketing.ticket:holder": plant_ticket,
    "weticket_ticketing.reservation:buyer": plant_reservation,
    "weticket_waitinglist.waitinglistentry:waiting": plant_waiting_list_entry,
    "weticket_checkin.checkin:holder": plant_checkin,
    "weticket_ticketing.organisation:contact": plant_organisation,
    "weticket_ticketing.organisationmembership:member": plant_membership,
    "weticket_payments.payment:buyer": plant_payment,
    "weticket_payments.refund:buyer": plant_refund,
    "weticket_payments.refund:staff": plant_refund_staff,
    "wagtailforms.formsubmission:sender": plant_form_submission,
}
