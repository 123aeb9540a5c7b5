"""The bookkeeping export of one organisation for one period: a ledger that balances.

One line per money movement, in the same terms as the orders admin's export (order number,
date in the site's time zone, amounts excluding VAT, VAT and including VAT in cents written
with a dot, the payment method and Mollie id, stable codes):

* ``sale``: an order paid in the period (dated by ``paid_at``, else its creation), one line
  per VAT rate of its lines;
* ``refund``: a refund that left (or is leaving) the account, dated by its creation, as a
  negative line per VAT rate, split in proportion to the order's lines at those rates (the
  last rate takes the rounding cent);
* vouchers: a sale line also names the voucher codes of its order's lines at that VAT rate
  and the discount they gave (list price minus what was paid, including VAT); its amounts
  are what was paid, so the discount is information beside the ledger, never a movement in
  it. A refund line names the same codes and no discount (a refund pays back what was paid,
  at most; see ``payments.services.refund_tickets``);
* fees: the models hold no payment-provider fees (Mollie invoices those separately), so
  there are no fee lines.

Nothing personal is read: no name, email or address, so erasure and the retention purge
(which anonymise buyers but keep amounts, references and dates) leave the ledger exactly as
it was. ``sum(amount_including_vat)`` equals the paid order totals minus the refunds.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from weticket_wagtail.payments.models import Refund
from weticket_wagtail.payments.services import payment_for_export
from weticket_wagtail.ticketing.models import Order, Organisation

from .aggregates import Period

CENT = Decimal("0.01")

#: Refund statuses that move money: accepted by the provider or on their way.
MOVING = ("pending", "processing", "refunded", "queued", "created")


@dataclass
class LedgerLine:
    date: datetime.date
    kind: str
    reference: str
    vat_rate: Decimal
    amount_excluding_vat: Decimal
    vat: Decimal
    amount_including_vat: Decimal
    method: str
    mollie_id: str
    voucher_codes: str = ""
    discount_including_vat: Decimal = Decimal("0.00")

    def as_row(self) -> list:
        return [
            self.date.isoformat(),
            self.kind,
            self.reference,
            f"{self.vat_rate:.2f}",
            f"{self.amount_excluding_vat:.2f}",
            f"{self.vat:.2f}",
            f"{self.amount_including_vat:.2f}",
            self.method,
            self.mollie_id,
            self.voucher_codes,
            f"{self.discount_including_vat:.2f}",
        ]


def headings() -> list[str]:
    return [
        _("Date"),
        _("Kind"),
        _("Order number"),
        _("VAT rate (%)"),
        _("Amount excl. VAT"),
        _("VAT"),
        _("Amount incl. VAT"),
        _("Payment method"),
        _("Mollie payment id"),
        _("Voucher code"),
        _("Discount incl. VAT"),
    ]


def _vat_of(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / (Decimal("100") + rate)).quantize(CENT, ROUND_HALF_UP)


def _by_rate(order: Order) -> dict[Decimal, Decimal]:
    totals: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in order.lines.all():
        totals[line.vat_rate] += line.unit_price * line.quantity
    return dict(sorted(totals.items()))


def _vouchers_by_rate(order: Order) -> dict[Decimal, tuple[str, Decimal]]:
    """Per VAT rate of ``order``'s lines: their voucher codes (sorted, comma-separated) and
    the discount they gave."""
    codes: dict[Decimal, set[str]] = defaultdict(set)
    discounts: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in order.lines.all():
        if line.voucher_code:
            codes[line.vat_rate].add(line.voucher_code)
            discounts[line.vat_rate] += line.discount
    return {
        rate: (", ".join(sorted(codes[rate])), discounts[rate].quantize(CENT)) for rate in codes
    }


def _split(amount: Decimal, weights: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """``amount`` over the rates in proportion to ``weights``; the last rate takes the rest."""
    whole = sum(weights.values(), Decimal("0"))
    if weights and not whole and not amount:
        # A free order (a 100 % voucher): a zero line per rate, to carry its discount.
        return dict.fromkeys(weights, Decimal("0.00"))
    if not weights or not whole:
        return {Decimal("0"): amount}
    parts: dict[Decimal, Decimal] = {}
    left = amount
    rates = list(weights)
    for rate in rates[:-1]:
        part = (amount * weights[rate] / whole).quantize(CENT, ROUND_HALF_UP)
        parts[rate] = part
        left -= part
    parts[rates[-1]] = left
    return parts


def _lines(date, kind, reference, split, sign, payment, vouchers=None) -> list[LedgerLine]:
    lines = []
    for rate, gross in split.items():
        vat = _vat_of(gross, rate)
        codes, discount = (vouchers or {}).get(rate, ("", Decimal("0")))
        lines.append(
            LedgerLine(
                date=date,
                kind=kind,
                reference=reference,
                vat_rate=rate,
                amount_excluding_vat=sign * (gross - vat),
                vat=sign * vat,
                amount_including_vat=sign * gross,
                method=payment.method if payment else "",
                mollie_id=(payment.mollie_id or "") if payment else "",
                voucher_codes=codes,
                discount_including_vat=discount if sign > 0 else Decimal("0.00"),
            )
        )
    return lines


def ledger(organisation: Organisation, period: Period) -> list[LedgerLine]:
    """Every sale and refund line of ``organisation`` in ``period``, by date then order number."""
    bounds = period.bounds()
    paid_bounds = {key.replace("created_at", "paid_at"): value for key, value in bounds.items()}
    paid_in_period = Q(paid_at__isnull=False, **paid_bounds) | Q(paid_at__isnull=True, **bounds)
    sold = (
        Order.objects.filter(organisation_id=organisation.pk)
        .filter(status__in=(Order.Status.PAID, Order.Status.REFUNDED))
        .filter(paid_in_period)
        .prefetch_related("lines", "payments")
        .order_by("pk")
    )
    lines: list[LedgerLine] = []
    for order in sold:
        when = timezone.localdate(order.paid_at or order.created_at)
        payment = payment_for_export(order)
        lines += _lines(
            when,
            "sale",
            order.reference,
            _split(order.total, _by_rate(order)),
            1,
            payment,
            _vouchers_by_rate(order),
        )
    refunds = (
        Refund.objects.filter(
            payment__order__organisation_id=organisation.pk,
            status__in=MOVING,
            **bounds,
        )
        .select_related("payment__order")
        .prefetch_related("payment__order__lines")
        .order_by("pk")
    )
    for refund in refunds:
        order = refund.payment.order
        lines += _lines(
            timezone.localdate(refund.created_at),
            "refund",
            order.reference,
            _split(refund.amount, _by_rate(order)),
            -1,
            refund.payment,
            _vouchers_by_rate(order),
        )
    lines.sort(key=lambda line: (line.date, line.reference, line.kind != "sale", line.vat_rate))
    return lines


def ledger_rows(lines: list[LedgerLine]) -> list[list]:
    return [headings(), *(line.as_row() for line in lines)]


def ledger_csv(lines: list[LedgerLine]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(ledger_rows(lines))
    return buffer.getvalue()


def ledger_xlsx(lines: list[LedgerLine]) -> bytes:
    """The same rows as an Excel workbook, amounts as numbers (two decimals)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Bookkeeping"))
    sheet.append(headings())
    for line in lines:
        sheet.append(
            [
                line.date,
                line.kind,
                line.reference,
                line.vat_rate,
                line.amount_excluding_vat,
                line.vat,
                line.amount_including_vat,
                line.method,
                line.mollie_id,
                line.voucher_codes,
                line.discount_including_vat,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
