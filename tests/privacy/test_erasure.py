"""Erasure leaves no trace of the person, keeps the books balanced, and cancels or keeps tickets."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.services import refund_payment
from weticket_wagtail.privacy.models import (
    AuditEntry,
    CampaignRecipient,
    DataSubjectRequest,
    NotificationCampaign,
)
from weticket_wagtail.privacy.registry import personal_data
from weticket_wagtail.privacy.services import erasure, export, requests
from weticket_wagtail.ticketing.models import Order, Ticket

from .conftest import publish
from .subjects import PLANTERS, backdate_event, mollie_settings, paid_order, shop

EMAIL = "annelies.vermeulen@example.net"
NAME = "Annelies Vermeulen"
PHONE = "+31 6 4242 1717"

Kind = DataSubjectRequest.Kind


def text_columns() -> list[tuple[str, str, str]]:
    """(table, column, type) of every text, JSON and bytea column of the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
            ORDER BY table_name, column_name
            """
        )
        return cursor.fetchall()


def find_everywhere(needle: str) -> list[str]:
    """``table.column`` of every column in which ``needle`` occurs (case-insensitive)."""
    found = []
    with connection.cursor() as cursor:
        for table, column, data_type in text_columns():
            value = (
                f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            )
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE {value} ILIKE %s',  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def bookkeeping(client) -> list[dict[str, str]]:
    response = client.get(reverse("weticket_orders:index"), {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def cents(rows, column) -> Decimal:
    return sum((Decimal(row[column]) for row in rows), Decimal("0"))


def verified_request(kind: str, email: str = EMAIL, **extra) -> DataSubjectRequest:
    req = requests.submit_request(kind=kind, email=email, **extra)
    verified, _changed = requests.verify_request(requests.sign_link(req, requests.CONFIRM_SALT))
    return verified


def change_statement(statement, summary: str):
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = f"<p>{summary}</p>"
    return publish(statement, body=body, change_summary=summary, change_is_material=True)


@pytest.mark.django_db(transaction=True)
def test_after_erasure_no_column_of_any_table_holds_the_email_name_or_phone(
    require_postgres,
    settings,
    mollie_double,
    smtp_sink,
    campaign_pace,
    statement,
    admin_user,
    client,
):
    mollie_settings(settings, mollie_double)
    settings.WETICKET = {**settings.WETICKET, "CAMPAIGN_RATE_PER_SECOND": 0}
    org_a, event_a, tickets_a = shop("Alpha Podium")
    org_b, event_b, tickets_b = shop("Bravo Zaal", price=Decimal("17.50"))
    # The subject: an order at each organisation (B's event is over), tickets in their name, a
    # goodwill refund whose reason names them, the emails all that sent, a policy-change email,
    # an earlier access request, and one row of every other registered model.
    future = paid_order(mollie_double, event_a, tickets_a, email=EMAIL, name=NAME, phone=PHONE)
    past = paid_order(mollie_double, event_b, tickets_b, email=EMAIL.upper(), name=NAME, quantity=3)
    backdate_event(event_b, days=40)
    Ticket.objects.filter(order__in=[future, past]).update(holder_name=NAME)
    refund_payment(past.payments.get(), Decimal("5.00"), reason=f"Goodwill for {NAME}")
    other = paid_order(mollie_double, event_a, tickets_a, email="kees@example.net", name="Kees Bos")
    change_statement(statement, "We now also keep your phone number.")
    assert CampaignRecipient.objects.filter(email=EMAIL).exists()
    earlier = verified_request(Kind.ACCESS, name=NAME, details=f"I am {NAME}, tel {PHONE}")
    export.fulfil_access(earlier, by=admin_user, message=f"Here you are, {NAME}.")
    for key, plant in PLANTERS.items():
        registration = personal_data.registration(key)
        if not personal_data.find(EMAIL).found.get(key) and registration is not None:
            plant(
                EMAIL, f"hook{len(key)}"
            )  # the hook: registrations without a flow here (consent …)
    assert find_everywhere(EMAIL) and find_everywhere(NAME) and find_everywhere(PHONE)
    client.force_login(admin_user)
    books_before = bookkeeping(client)
    smtp_sink.clear()

    req = verified_request(Kind.ERASURE, name=NAME, details=f"Please erase {NAME}")
    export.export_for_staff(req, by=admin_user)
    result = erasure.erase_subject(req, by=admin_user)

    for needle in (EMAIL, NAME, PHONE, "annelies", "vermeulen"):
        assert find_everywhere(needle) == [], f"{needle!r} is still in {find_everywhere(needle)}"
    # The requester was told, at their address, before it was scrubbed.
    done = [m for m in smtp_sink.messages if m["To"] == EMAIL]
    assert any("erased" in m["Subject"] for m in done)
    # The future order is cancelled and refunded, the past one kept without a name.
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.status == Order.Status.REFUNDED and future.amount_refunded == future.total
    assert past.status == Order.Status.PAID and past.total == Decimal("52.50")
    assert past.anonymised_at is not None and past.buyer_name == "" and past.buyer_email == ""
    assert any("cancelled and refunded" in note for note in result.notes)
    # Someone else's order is untouched.
    other.refresh_from_db()
    assert other.buyer_name == "Kees Bos" and other.buyer_email == "kees@example.net"
    # The books: the same orders, amounts to the cent; only the refund of the cancelled order.
    books_after = bookkeeping(client)
    assert [r["Order number"] for r in books_after] == [r["Order number"] for r in books_before]
    for column in ("Amount excl. VAT", "VAT", "Amount incl. VAT"):
        assert cents(books_after, column) == cents(books_before, column)
    for row in books_after:
        excl, vat, incl = (Decimal(row[c]) for c in ("Amount excl. VAT", "VAT", "Amount incl. VAT"))
        assert excl + vat == incl
    assert cents(books_after, "Refunded") == cents(books_before, "Refunded") + future.total
    # The audit trail keeps what happened, without the person.
    req.refresh_from_db()
    assert req.status == DataSubjectRequest.Status.COMPLETED and req.erased_at is not None
    assert req.audit_entries.filter(action=AuditEntry.Action.ERASED).exists()
    assert NotificationCampaign.objects.get().recipients.count() >= 2  # the count stays
    assert not get_user_model().objects.filter(email=EMAIL).exists()
    assert personal_data.find(EMAIL).total == 0


@pytest.mark.django_db(transaction=True)
def test_with_keep_the_future_tickets_stay_valid_without_a_name(
    settings, mollie_double, smtp_sink, admin_user
):
    mollie_settings(settings, mollie_double)
    settings.WETICKET = {**settings.WETICKET, "PRIVACY_ERASURE_FUTURE_TICKETS": "keep"}
    _org, event, ticket_type = shop("Keep Podium")
    order = paid_order(mollie_double, event, ticket_type, email=EMAIL, name=NAME)
    codes = set(order.tickets.values_list("code", flat=True))
    token = order.token

    req = verified_request(Kind.ERASURE)
    with pytest.raises(requests.RequestError):
        erasure.erase_subject(req, by=admin_user)  # the export comes first
    export.export_for_staff(req, by=admin_user)
    result = erasure.erase_subject(req, by=admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.buyer_name == ""
    assert set(order.tickets.values_list("code", flat=True)) == codes
    assert order.token != token  # the old order link shows nothing any more
    assert result.notes == [f"{order.reference}: kept (event still to come)"]
    assert OutboxMessage.objects.filter(to=EMAIL).count() == 0


@pytest.mark.django_db
def test_only_an_open_erasure_request_erases(admin_user):
    req = requests.submit_request(kind=Kind.ACCESS, email=EMAIL)
    with pytest.raises(requests.RequestError):
        erasure.erase_subject(req, by=admin_user, require_export=False)
