"""The insights as CSV: the same suppressed cells the page shows, one row per cell.

A hidden cell keeps its row (so the reader sees that a group exists) with every figure left
empty and ``suppressed`` in the last column; the same holds for a hidden total.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from .aggregates import Insights, Table
from .suppression import Cell

HEADER_KEYS = (
    "table",
    "group",
    "orders",
    "tickets",
    "revenue",
    "refunded",
    "capacity",
    "sell_through_percent",
    "share_percent",
    "suppressed",
)


def _headings() -> list[str]:
    return [
        _("Table"),
        _("Group"),
        _("Orders"),
        _("Tickets"),
        _("Revenue"),
        _("Refunded"),
        _("Capacity"),
        _("Sell-through (%)"),
        _("Share (%)"),
        _("Suppressed"),
    ]


def _row(table: str, cell: Cell, *, tickets: bool, capacity: bool, share: bool) -> list:
    if cell.suppressed:
        return [table, cell.label, "", "", "", "", cell.capacity if capacity else "", "", "", "1"]
    return [
        table,
        cell.label,
        cell.orders,
        cell.tickets if tickets else "",
        f"{cell.revenue:.2f}",
        f"{cell.refunded:.2f}",
        cell.capacity if capacity and cell.capacity is not None else "",
        cell.sell_through if capacity and cell.sell_through is not None else "",
        cell.share if share and cell.share is not None else "",
        "0",
    ]


def insight_rows(insights: Insights) -> list[list]:
    """Every row of the CSV, headings first."""
    rows: list[list] = [_headings()]

    def add(table: Table, name: str, *, tickets: bool, capacity: bool, share: bool) -> None:
        for cell in table.cells:
            rows.append(_row(name, cell, tickets=tickets, capacity=capacity, share=share))
        rows.append(_row(name, table.total, tickets=tickets, capacity=capacity, share=False))

    add(insights.over_time, _("Sales over time"), tickets=False, capacity=False, share=False)
    add(insights.events, _("Sales per event"), tickets=True, capacity=True, share=False)
    for row in insights.event_rows:
        name = _("Ticket types of %(event)s") % {"event": row.event.label}
        for cell in row.ticket_types:
            rows.append(_row(name, cell, tickets=True, capacity=True, share=False))
    add(insights.methods, _("Payment methods"), tickets=False, capacity=False, share=True)
    return rows


def insights_csv(insights: Insights) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(insight_rows(insights))
    return buffer.getvalue()
