"""Server-rendered bar charts of the insights tables: geometry only, drawn by a template as SVG.

A chart is made from a suppressed :class:`~.aggregates.Table` and shows only its shown cells: a
hidden cell gets no bar, no label and no value, only the count of hidden groups in the chart's
description. No JavaScript; the SVG has a ``<title>`` and ``<desc>`` for screen readers, and the
table next to it carries the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .aggregates import Table
from .suppression import Cell

WIDTH = 640
LABEL_WIDTH = 220
BAR_HEIGHT = 22
GAP = 6


@dataclass
class Bar:
    label: str
    value: Decimal
    display: str
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 6

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    key: str
    title: str
    description: str
    bars: list[Bar]
    hidden: int
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(
    table: Table,
    *,
    title: str,
    value: Callable[[Cell], Decimal | int],
    display: Callable[[Cell], str],
) -> BarChart:
    """Bars for the shown cells of ``table``, scaled to the largest; hidden cells left out."""
    shown = [cell for cell in table.cells if not cell.suppressed]
    values = [Decimal(value(cell)) for cell in shown]
    largest = max(values, default=Decimal("0")) or Decimal("1")
    room = WIDTH - LABEL_WIDTH - 90
    bars = [
        Bar(
            label=cell.label,
            value=amount,
            display=display(cell),
            y=index * (BAR_HEIGHT + GAP),
            width=max(1, int(room * amount / largest)) if amount > 0 else 0,
        )
        for index, (cell, amount) in enumerate(zip(shown, values, strict=True))
    ]
    hidden = table.hidden_count
    parts = [", ".join(f"{bar.label}: {bar.display}" for bar in bars) or _("No groups to show.")]
    if hidden:
        parts.append(
            ngettext("%(count)d small group hidden.", "%(count)d small groups hidden.", hidden)
            % {"count": hidden}
        )
    return BarChart(
        key=table.key,
        title=title,
        description=" ".join(parts),
        bars=bars,
        hidden=hidden,
        height=max(BAR_HEIGHT, len(bars) * (BAR_HEIGHT + GAP)),
    )
