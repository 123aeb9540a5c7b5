"""The insights of one organisation: plain aggregates over its sold orders, small groups hidden.

What counts: orders of the organisation that were paid (status paid, or refunded afterwards),
created in the period asked for, leaving out every buyer with an active restriction or
objection flag (privacy's :func:`~weticket_wagtail.privacy.services.flags.limited_q`: only
essential processing for them). Only counts and sums leave this module, per group, and every
group is run through :func:`~.suppression.suppress` before anyone sees it. No name, email,
address or order number is ever read.

A fixed handful of queries whatever the number of orders (one per table, plus the catalogue).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from weticket_wagtail.money import site_currency
from weticket_wagtail.payments.models import Payment
from weticket_wagtail.privacy.services.flags import limited_q
from weticket_wagtail.ticketing.models import Event, Order, OrderLine, Organisation, TicketType

from .suppression import Cell, hide_all, min_group_size, suppress

#: Order statuses that count as sold: paid, and paid then refunded (the refund shows apart).
SOLD = (Order.Status.PAID, Order.Status.REFUNDED)

GRANULARITIES = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}

ZERO = Decimal("0")


@dataclass
class Period:
    """Orders created from ``start`` up to and including ``end`` (dates in the site's zone)."""

    start: datetime.date | None = None
    end: datetime.date | None = None

    def bounds(self) -> dict:
        """ORM lookups on ``created_at`` for this period."""
        lookups = {}
        if self.start:
            lookups["created_at__gte"] = _start_of(self.start)
        if self.end:
            lookups["created_at__lt"] = _start_of(self.end + datetime.timedelta(days=1))
        return lookups


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Table:
    """Cells that add up to ``total``, suppressed already."""

    key: str
    title: str
    cells: list[Cell]
    total: Cell

    @property
    def shown(self) -> list[Cell]:
        return [cell for cell in self.cells if not cell.suppressed]

    @property
    def hidden_count(self) -> int:
        return sum(1 for cell in self.cells if cell.suppressed)


@dataclass
class EventInsight:
    """One event's row and its ticket types' rows."""

    event: Cell
    ticket_types: list[Cell]


@dataclass
class Insights:
    organisation: Organisation
    period: Period
    granularity: str
    k: int
    over_time: Table
    events: Table
    event_rows: list[EventInsight]
    methods: Table
    currency: str
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Cell:
        return self.events.total


def sold_orders(organisation: Organisation, period: Period | None = None) -> QuerySet[Order]:
    """The orders insights count: sold, in the period, of nobody who limited processing."""
    period = period or Period()
    return Order.objects.filter(
        organisation_id=organisation.pk, status__in=SOLD, **period.bounds()
    ).exclude(limited_q("buyer_email"))


def organisation_insights(
    organisation: Organisation,
    period: Period | None = None,
    *,
    granularity: str = "month",
    k: int | None = None,
) -> Insights:
    """Every table of the insights page for ``organisation``, suppressed (see the module doc)."""
    period = period or Period()
    k = min_group_size() if k is None else k
    orders = sold_orders(organisation, period)
    events = _event_rows(organisation, orders, k)
    total = Cell(key="total", label=_("Total"))
    for row in events:
        total.orders += row.event.orders
        total.tickets += row.event.tickets
        total.revenue += row.event.revenue
        total.refunded += row.event.refunded
        total.capacity = (total.capacity or 0) + (row.event.capacity or 0)
    event_cells = [row.event for row in events]
    suppress(event_cells, total, k=k)
    for row in events:
        if row.event.suppressed:
            hide_all(row.ticket_types)
        else:
            suppress(row.ticket_types, row.event, k=k)
    over_time = _over_time(orders, granularity, total, k)
    methods = _methods(orders, total, k)
    return Insights(
        organisation=organisation,
        period=period,
        granularity=granularity,
        k=k,
        over_time=over_time,
        events=Table("events", _("Sales per event"), event_cells, total),
        event_rows=events,
        methods=methods,
        currency=site_currency(),
        notes=[
            _(
                "Buyers by postal area are not shown: the shop does not ask buyers for a "
                "postal code (an address only where the organisation asks for one, as free "
                "text)."
            )
        ],
    )


def _copy_total(total: Cell) -> Cell:
    return Cell(
        key=total.key,
        label=total.label,
        orders=total.orders,
        tickets=total.tickets,
        revenue=total.revenue,
        refunded=total.refunded,
        capacity=total.capacity,
        suppressed=total.suppressed,
    )


def _event_rows(organisation: Organisation, orders: QuerySet[Order], k: int) -> list[EventInsight]:
    line_total = ExpressionWrapper(
        F("unit_price") * F("quantity"), output_field=DecimalField(max_digits=12, decimal_places=2)
    )
    per_type = {
        row["ticket_type_id"]: row
        for row in OrderLine.objects.filter(order__in=orders)
        .values("ticket_type_id")
        .annotate(
            orders=Count("order_id", distinct=True),
            tickets=Sum("quantity"),
            revenue=Sum(line_total),
        )
        .order_by()
    }
    per_event = {
        row["event_id"]: row
        for row in orders.values("event_id")
        .annotate(orders=Count("id"), refunded=Sum("amount_refunded"))
        .order_by()
    }
    types_by_event: dict[int, list[TicketType]] = {}
    for ticket_type in TicketType.objects.filter(event__organisation_id=organisation.pk).order_by(
        "event_id", "sort_order", "pk"
    ):
        types_by_event.setdefault(ticket_type.event_id, []).append(ticket_type)
    rows = []
    for event in Event.objects.filter(organisation_id=organisation.pk).order_by("starts_at", "pk"):
        type_cells = []
        for ticket_type in types_by_event.get(event.pk, []):
            figures = per_type.get(ticket_type.pk, {})
            type_cells.append(
                Cell(
                    key=f"ticket_type:{ticket_type.pk}",
                    label=ticket_type.name,
                    orders=figures.get("orders") or 0,
                    tickets=figures.get("tickets") or 0,
                    revenue=figures.get("revenue") or ZERO,
                    capacity=ticket_type.capacity,
                )
            )
        figures = per_event.get(event.pk, {})
        event_cell = Cell(
            key=f"event:{event.pk}",
            label=f"{event.title} ({formats.date_format(timezone.localtime(event.starts_at))})",
            orders=figures.get("orders") or 0,
            tickets=sum(cell.tickets for cell in type_cells),
            revenue=sum((cell.revenue for cell in type_cells), ZERO),
            refunded=figures.get("refunded") or ZERO,
            capacity=sum(cell.capacity or 0 for cell in type_cells),
        )
        rows.append(EventInsight(event_cell, type_cells))
    return rows


def _over_time(orders: QuerySet[Order], granularity: str, total: Cell, k: int) -> Table:
    trunc = GRANULARITIES.get(granularity, TruncMonth)
    rows = (
        orders.annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(orders=Count("id"), revenue=Sum("total"), refunded=Sum("amount_refunded"))
        .order_by("bucket")
    )
    cells = []
    for row in rows:
        bucket = row["bucket"]
        if isinstance(bucket, datetime.datetime):
            bucket = (
                timezone.localtime(bucket).date() if timezone.is_aware(bucket) else bucket.date()
            )
        label = (
            formats.date_format(bucket, "YEAR_MONTH_FORMAT")
            if trunc is TruncMonth
            else formats.date_format(bucket, "SHORT_DATE_FORMAT")
        )
        cells.append(
            Cell(
                key=bucket.isoformat(),
                label=label,
                orders=row["orders"],
                revenue=row["revenue"] or ZERO,
                refunded=row["refunded"] or ZERO,
            )
        )
    table_total = _copy_total(total)
    # Order totals, not line sums: the same as the events' revenue unless lines were edited.
    table_total.revenue = sum((cell.revenue for cell in cells), ZERO)
    suppress(cells, table_total, k=k)
    return Table("over_time", _("Sales over time"), cells, table_total)


def _methods(orders: QuerySet[Order], total: Cell, k: int) -> Table:
    rows = (
        Payment.objects.filter(order__in=orders, confirmed_order=True)
        .values("method")
        .annotate(orders=Count("order_id", distinct=True), revenue=Sum("amount"))
        .order_by("method")
    )
    cells = []
    counted = 0
    for row in rows:
        method = row["method"] or "unknown"
        counted += row["orders"]
        cells.append(
            Cell(
                key=f"method:{method}",
                label=method if row["method"] else _("unknown"),
                orders=row["orders"],
                revenue=row["revenue"] or ZERO,
            )
        )
    rest = total.orders - counted
    if rest > 0:
        cells.append(Cell(key="method:none", label=_("no payment (free)"), orders=rest))
    table_total = _copy_total(total)
    table_total.revenue = sum((cell.revenue for cell in cells), ZERO)
    for cell in cells:
        if table_total.orders:
            cell.share = (Decimal(cell.orders) * 100 / table_total.orders).quantize(Decimal("0.1"))
    suppress(cells, table_total, k=k)
    return Table("methods", _("Payment methods"), cells, table_total)
