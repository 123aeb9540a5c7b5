"""Tickets: one per admission, each with a code signed into its QR code, and the order's PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import segno
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from weticket_wagtail.money import format_money
from weticket_wagtail.rows import from_row

from ..models import Order, OrderLine, Organisation, Ticket
from .ticket_pdf import TicketPrint, render_order_pdf
from .ticket_signing import (
    InvalidTicketToken,
    generate_signing_keypair,
    sign_ticket_payload,
    verify_ticket_token,
)


def issue_tickets(order: Order, lines: Sequence[OrderLine]) -> list[Ticket]:
    """Create one ticket per admission of ``lines``.

    Call once, inside the transaction that confirms the order."""
    tickets = [
        Ticket(order=order, line=line, holder_name=order.buyer_name)
        for line in lines
        for _ in range(line.quantity)
    ]
    return Ticket.objects.bulk_create(tickets)


def signing_keys(organisation: Organisation) -> tuple[str, str]:
    """The organisation's (private, public) ticket keys, created on first use."""
    if not organisation.ticket_signing_key:
        private, public = generate_signing_keypair()
        organisation.ticket_signing_key, organisation.ticket_verify_key = private, public
        organisation.save(update_fields=["ticket_signing_key", "ticket_verify_key"])
    return organisation.ticket_signing_key, organisation.ticket_verify_key


def ticket_token(ticket: Ticket, organisation: Organisation, event_slug: str) -> str:
    """The signed payload a scanner verifies offline with the organisation's public key."""
    private, _public = signing_keys(organisation)
    return sign_ticket_payload(
        private,
        {"c": ticket.code, "e": event_slug, "o": organisation.slug, "t": ticket.line.name},
    )


def ticket_qr_svg(token: str, title: str) -> str:
    """The QR code of a ticket's signed ``token`` as inline SVG, black on white, for a phone's
    screen at the door. Sized by CSS (it has a viewBox and no width); ``title`` names it for
    screen readers. Safe to print unescaped: segno writes only its own markup and escapes the
    title."""
    return segno.make(token, error="m", micro=False).svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="weticket-qr",
    )


class TicketNotValid(InvalidTicketToken):
    """A genuine ticket that admits nobody: refunded, cancelled, or of an order not paid.

    A subclass of :class:`InvalidTicketToken`, so a caller that only asks "genuine?" refuses
    it too. ``check`` is the :class:`TicketCheck` saying why.
    """

    def __init__(self, check: TicketCheck):
        super().__init__(check.message)
        self.check = check


@dataclass(frozen=True)
class TicketCheck:
    """What the verifier says about a scanned code.

    ``reason`` is stable, for machines (``valid``, ``refunded``, ``cancelled``,
    ``order_not_paid``, ``unknown``, ``not_genuine``); ``message`` is for the person at the door,
    in the active language. ``ticket`` is the ticket when the code is one of ours.
    """

    accepted: bool
    reason: str
    message: str
    ticket: Ticket | None = None
    payload: dict[str, str] | None = None


def check_ticket(organisation: Organisation, token: str) -> TicketCheck:
    """Verify a scanned token and say whether the ticket admits someone now.

    Accepted only when the signature is the organisation's, the ticket exists for that
    organisation, its status is valid and its order is paid; otherwise refused with the reason.
    Does not record a scan (that is check-in's business).
    """
    try:
        payload = verify_ticket_token(organisation.ticket_verify_key, token)
    except InvalidTicketToken:
        return TicketCheck(False, "not_genuine", _("This is not a genuine ticket of ours."))
    return _check_code(organisation, payload.get("c", ""), payload)


def normalise_ticket_code(text: str) -> str:
    """A code as typed at the door: case, spaces and missing dashes do not matter
    (``abcd efgh-jkLM npqr`` is ``ABCD-EFGH-JKLM-NPQR``)."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(raw) != 16:
        return (text or "").strip().upper()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def check_ticket_code(organisation: Organisation, code: str) -> TicketCheck:
    """Like :func:`check_ticket` for a code typed from the ticket instead of scanned: no
    signature to verify, so only the database says whether it is one of ours."""
    return _check_code(organisation, normalise_ticket_code(code), None)


def _ticket_sql() -> str:
    """The door's ticket lookup: the ticket with the columns a check reads of its order and
    line, by code within one organisation. Written out (no ORM compile on every scan); codes
    are unique, so no ORDER BY."""
    quote = connection.ops.quote_name
    ticket, order, line = (quote(m._meta.db_table) for m in (Ticket, Order, OrderLine))
    return (
        "SELECT t.id, t.order_id, t.line_id, t.code, t.holder_name, t.status,"  # noqa: S608 - names from _meta
        " o.status, o.event_id, o.organisation_id, l.name, l.ticket_type_id"
        f" FROM {ticket} t JOIN {order} o ON o.id = t.order_id JOIN {line} l ON l.id = t.line_id"
        " WHERE t.code = %s AND o.organisation_id = %s LIMIT 1"
    )


def _find_ticket(organisation: Organisation, code: str) -> Ticket | None:
    """The organisation's ticket with ``code``, its order and line attached (partly loaded)."""
    with connection.cursor() as cursor:
        cursor.execute(_ticket_sql(), [code, organisation.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, order_id, line_id, code, holder_name, status = row[:6]
    order_status, event_id, organisation_id, line_name, ticket_type_id = row[6:]
    ticket = from_row(
        Ticket,
        {
            "id": pk,
            "order_id": order_id,
            "line_id": line_id,
            "code": code,
            "holder_name": holder_name,
            "status": status,
        },
    )
    ticket.order = from_row(
        Order,
        {
            "id": order_id,
            "status": order_status,
            "event_id": event_id,
            "organisation_id": organisation_id,
        },
    )
    ticket.line = from_row(
        OrderLine, {"id": line_id, "name": line_name, "ticket_type_id": ticket_type_id}
    )
    return ticket


def _check_code(organisation: Organisation, code: str, payload: dict | None) -> TicketCheck:
    ticket = _find_ticket(organisation, code) if code else None
    if ticket is None:
        return TicketCheck(False, "unknown", _("No ticket with this code."), payload=payload)
    if ticket.status == Ticket.Status.REFUNDED:
        return TicketCheck(
            False,
            "refunded",
            _("This ticket was refunded: it is no longer valid."),
            ticket,
            payload,
        )
    if ticket.status == Ticket.Status.CANCELLED:
        return TicketCheck(
            False,
            "cancelled",
            _("This ticket was cancelled: it is no longer valid."),
            ticket,
            payload,
        )
    if ticket.order.status != Order.Status.PAID:
        return TicketCheck(
            False,
            "order_not_paid",
            _("The order of this ticket is not paid: it is not valid."),
            ticket,
            payload,
        )
    return TicketCheck(True, "valid", _("Valid ticket."), ticket, payload)


def verify_ticket(organisation: Organisation, token: str) -> dict[str, str]:
    """Verify a scanned token and return its payload when the ticket admits someone.

    Raises :class:`InvalidTicketToken` when it is not genuine and :class:`TicketNotValid` (a
    subclass, carrying the :class:`TicketCheck`) when it is genuine but refunded, cancelled or
    of an unpaid order, or unknown.
    """
    check = check_ticket(organisation, token)
    if check.reason == "not_genuine":
        raise InvalidTicketToken(check.message)
    if not check.accepted:
        raise TicketNotValid(check)
    return check.payload or {}


def void_notice(ticket: Ticket) -> str:
    """What a refunded or cancelled ticket says about itself (empty for a valid one)."""
    if ticket.status == Ticket.Status.REFUNDED:
        return _("Refunded: this ticket is no longer valid.")
    if ticket.status == Ticket.Status.CANCELLED:
        return _("Cancelled: this ticket is no longer valid.")
    return ""


def order_pdf(order: Order) -> bytes:
    """All tickets of a paid order in one PDF, in the buyer's language."""
    order = (
        Order.objects.select_related("organisation", "event")
        .prefetch_related("tickets__line")
        .get(pk=order.pk)
    )
    organisation, event = order.organisation, order.event
    with override(order.language):
        start = date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT")
        labels = {
            "ticket": _("Ticket"),
            "date": _("Date"),
            "venue": _("Venue"),
            "type": _("Type"),
            "name": _("Name"),
            "order": _("Order"),
            "price": _("Price"),
            "instructions": _("Show this code at the entrance"),
        }
        prints = [
            TicketPrint(
                code=ticket.code,
                token=ticket_token(ticket, organisation, event.slug),
                ticket_type=ticket.line.name,
                event_title=event.title,
                event_start=start,
                venue=", ".join(part for part in (event.venue, event.address) if part),
                holder_name=ticket.holder_name,
                order_reference=order.reference,
                price=ticket_price_text(ticket.line, order.currency),
                void_notice=void_notice(ticket),
            )
            for ticket in order.tickets.all()
        ]
    return render_order_pdf(
        prints,
        organisation_name=organisation.name,
        primary_colour=organisation.primary_colour,
        labels=labels,
    )


def ticket_price_text(line, currency: str) -> str:
    """A ticket's price as printed: with a voucher, also its code and the price before."""
    price = format_money(line.unit_price, currency)
    if not line.voucher_code or line.list_price is None:
        return price
    return _("%(price)s (voucher %(code)s, was %(list_price)s)") % {
        "price": price,
        "code": line.voucher_code,
        "list_price": format_money(line.list_price, currency),
    }


def order_pdf_attachment(order_id: int) -> tuple[str, bytes, str]:
    """The outbox attachment factory for an order's tickets (registered in apps.ready)."""
    order = Order.objects.get(pk=order_id)
    return f"tickets-{order.reference}.pdf", order_pdf(order), "application/pdf"
