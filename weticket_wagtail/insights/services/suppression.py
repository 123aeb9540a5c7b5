"""Small-group suppression: no figure about fewer than k orders, and no way to work one out.

A table is a list of cells that together add up to a total (orders of a period, of an event,
by payment method). A cell counting 1 to k-1 orders is hidden (primary suppression). If that
left one hidden cell, the total minus the shown cells would give it away; so further cells are
hidden, smallest first, until at least two are hidden *and* the hidden cells together count at
least k orders (complementary suppression). Then subtracting shown cells from the total yields
only the sum of several hidden cells, itself a group of k or more. A total below k is hidden
as well (every cell under it is then hidden). Empty cells (no orders) are shown: they describe
nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from weticket_wagtail.conf import weticket_settings


def min_group_size() -> int:
    """The configured k (``WETICKET["INSIGHTS_MIN_GROUP_SIZE"]``, at least 1)."""
    return max(1, int(weticket_settings.INSIGHTS_MIN_GROUP_SIZE))


@dataclass
class Cell:
    """One group of orders. ``suppressed`` cells must never show their figures anywhere."""

    key: str
    label: str
    orders: int = 0
    tickets: int = 0
    revenue: Decimal = Decimal("0")
    refunded: Decimal = Decimal("0")
    capacity: int | None = None
    share: Decimal | None = None
    suppressed: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def sell_through(self) -> Decimal | None:
        """Tickets sold as a percentage of capacity (one decimal), when there is a capacity."""
        if not self.capacity:
            return None
        return (Decimal(self.tickets) * 100 / self.capacity).quantize(Decimal("0.1"))

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.refunded


def suppress(cells: Sequence[Cell], total: Cell, *, k: int | None = None) -> None:
    """Mark ``cells`` (and ``total``) suppressed as the module docstring says, in place."""
    k = min_group_size() if k is None else k
    if total.orders < k and total.orders > 0:
        total.suppressed = True
    if total.suppressed:
        for cell in cells:
            if cell.orders:
                cell.suppressed = True
        return
    for cell in cells:
        if 0 < cell.orders < k:
            cell.suppressed = True
    hidden = [cell for cell in cells if cell.suppressed]
    if not hidden:
        return
    candidates = sorted(
        (cell for cell in cells if cell.orders and not cell.suppressed),
        key=lambda cell: (cell.orders, cell.key),
    )
    while len(hidden) < 2 or sum(cell.orders for cell in hidden) < k:
        if not candidates:
            total.suppressed = True
            break
        cell = candidates.pop(0)
        cell.suppressed = True
        hidden.append(cell)


def hide_all(cells: Sequence[Cell]) -> None:
    """Suppress every non-empty cell (the groups below a suppressed parent)."""
    for cell in cells:
        if cell.orders:
            cell.suppressed = True
