"""The retention schedule runs: what is past its period is anonymised, nothing else, ever.

Every test runs the purge on a frozen clock (``now=`` / a patched ``timezone.now``), with
records dated by hand, so "just inside" and "just past" a period are exact instants.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from wagtail.models import Locale

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment
from weticket_wagtail.privacy.models import (
    DataSubjectRequest,
    PurgeLogEntry,
    RetentionRule,
    SubjectFlag,
)
from weticket_wagtail.privacy.periods import Period
from weticket_wagtail.privacy.services import retention
from weticket_wagtail.ticketing.models import Order, Ticket

from .subjects import _order

pytestmark = pytest.mark.django_db


def at(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


#: Orders are kept 7 years from the end of the financial year (the default): an order of
#: June 2019 is due once 2026 is over.
ORDERED = at(2019, 6, 1, 12, 0)
LAST_MOMENT = at(2026, 12, 31, 23, 59)
FIRST_MOMENT = at(2027, 1, 1, 0, 1)


def order_of(email: str, when: datetime.datetime = ORDERED, shop: str = "") -> Order:
    order = _order(email, shop or email.split("@")[0])
    Order.objects.filter(pk=order.pk).update(created_at=when, buyer_name=f"Buyer {email}")
    ticket_line = order.lines.first()
    Ticket.objects.create(order=order, line=ticket_line, code=f"T{order.pk}", holder_name="Holder")
    Ticket.objects.filter(order=order).update(created_at=when)
    Payment.objects.create(order=order, mollie_id=f"tr_{order.pk}", amount=order.total)
    Payment.objects.filter(order=order).update(created_at=when)
    order.refresh_from_db()
    return order


def rule(category: str, amount: int | None, unit: str = "years", counted_from: str = "record"):
    return RetentionRule.objects.create(
        locale=Locale.get_default(),
        record=category,
        category=category,
        period_amount=amount,
        period_unit=unit,
        counted_from=counted_from,
        reason="Because.",
    )


def test_an_order_just_inside_its_period_stays_and_just_past_it_is_anonymised():
    order = order_of("inside@example.net")

    retention.purge(["orders"], now=LAST_MOMENT)
    order.refresh_from_db()
    assert order.buyer_email == "inside@example.net"
    assert order.anonymised_at is None

    retention.purge(["orders"], now=FIRST_MOMENT)
    order.refresh_from_db()
    assert (order.buyer_name, order.buyer_email, order.buyer_phone) == ("", "", "")
    assert order.anonymised_at == FIRST_MOMENT
    assert order.total == Decimal("12.34")  # the books stay


def test_financial_fields_stay_after_the_personal_data_period_ends():
    rule("orders", 2)  # the admin's rule wins over the 7-year default
    rule("tickets", 2)
    order = order_of("fiscal@example.net")
    reference, paid_at = order.reference, order.paid_at

    retention.purge(["orders", "tickets", "payments"], now=at(2021, 6, 2))

    order.refresh_from_db()
    assert order.buyer_name == "" and order.anonymised_at is not None
    assert (order.reference, order.total, order.paid_at) == (reference, Decimal("12.34"), paid_at)
    assert list(order.lines.values_list("quantity", "unit_price")) == [(1, Decimal("12.34"))]
    assert Ticket.objects.get(order=order).holder_name == ""
    payment = Payment.objects.get(order=order)
    assert (payment.mollie_id, payment.amount) == (f"tr_{order.pk}", Decimal("12.34"))


def test_a_fiscal_period_counts_from_the_end_of_the_financial_year(settings):
    period = Period.from_setting({"years": 7, "from": "financial_year_end"})
    assert period.cutoff(LAST_MOMENT) == at(2019, 1, 1)
    assert period.cutoff(FIRST_MOMENT) == at(2020, 1, 1)
    settings.WETICKET = {**settings.WETICKET, "FINANCIAL_YEAR_START_MONTH": 7}
    assert period.cutoff(FIRST_MOMENT) == at(2019, 7, 1)


@pytest.mark.parametrize(
    "hold",
    ["legal_hold", "restriction", "open_request", "unconfirmed_request"],
)
def test_nothing_is_purged_under_an_open_request_or_a_hold(hold):
    email = f"{hold.replace('_', '-')}@example.net"
    held = order_of(email)
    other = order_of("nobody-special@example.net")
    if hold in ("legal_hold", "restriction"):
        SubjectFlag.objects.create(email=email, kind=hold)
    else:
        status = "in_progress" if hold == "open_request" else "new"
        DataSubjectRequest.objects.create(kind="access", email=email, status=status)

    (result,) = retention.purge(["orders"], now=FIRST_MOMENT)

    held.refresh_from_db()
    other.refresh_from_db()
    assert held.buyer_email == email and held.anonymised_at is None
    assert other.anonymised_at is not None
    assert result.held == {"weticket_ticketing.order:buyer": 1}


def test_a_lifted_hold_no_longer_keeps_data():
    order = order_of("lifted@example.net")
    SubjectFlag.objects.create(email=order.buyer_email, kind="legal_hold", lifted_at=ORDERED)
    retention.purge(["orders"], now=FIRST_MOMENT)
    order.refresh_from_db()
    assert order.anonymised_at is not None


def _state():
    return sorted(
        Order.objects.values_list("pk", "buyer_name", "buyer_email", "total", "anonymised_at")
    ) + sorted(Ticket.objects.values_list("pk", "holder_name"))


def test_a_purge_interrupted_half_way_and_run_again_ends_as_an_uninterrupted_one(monkeypatch):
    for index in range(7):
        order_of(f"buyer{index}@example.net")
    order_of("recent@example.net", when=at(2026, 6, 1))
    real = retention.anonymise_rows
    calls = []

    def crash_on_the_third_batch(registration, rows, *, now):
        calls.append(1)
        if len(calls) == 3:
            real(registration, rows, now=now)  # the batch's UPDATE ran …
            raise RuntimeError("worker killed")  # … and its transaction dies with it
        return real(registration, rows, now=now)

    monkeypatch.setattr(retention, "anonymise_rows", crash_on_the_third_batch)
    with pytest.raises(RuntimeError):
        retention.purge(["orders", "tickets"], now=FIRST_MOMENT, batch_size=2)
    assert Order.objects.filter(anonymised_at__isnull=False).count() == 4  # two batches
    assert PurgeLogEntry.objects.get(category="orders").status == "failed"
    monkeypatch.setattr(retention, "anonymise_rows", real)

    retention.purge(["orders", "tickets"], now=FIRST_MOMENT, batch_size=2)
    interrupted = _state()

    # The same data purged in one go.
    Payment.objects.all().delete()
    Order.objects.all().delete()
    for index in range(7):
        order_of(f"buyer{index}@example.net", shop=f"again{index}")
    order_of("recent@example.net", when=at(2026, 6, 1), shop="xrcnt2")
    retention.purge(["orders", "tickets"], now=FIRST_MOMENT, batch_size=2)
    straight = _state()

    def without_pks(state):
        return sorted(row[1:] for row in state)

    assert without_pks(interrupted) == without_pks(straight)
    assert Order.objects.filter(anonymised_at__isnull=True).get().buyer_email == (
        "recent@example.net"
    )


def test_the_dry_run_reports_what_the_real_run_then_does(monkeypatch, capsys):
    for index in range(5):
        order_of(f"dry{index}@example.net")
    SubjectFlag.objects.create(email="dry0@example.net", kind="legal_hold")
    OutboxMessage.objects.create(dedupe_key="k1", to="dry1@example.net", subject="Hi")
    OutboxMessage.objects.filter(dedupe_key="k1").update(created_at=at(2024, 1, 1))
    monkeypatch.setattr(timezone, "now", lambda: FIRST_MOMENT)

    call_command("weticket_purge", "--dry-run", "--batch-size", "2")
    dry = capsys.readouterr().out
    assert Order.objects.filter(anonymised_at__isnull=False).count() == 0
    call_command("weticket_purge", "--batch-size", "2")
    real = capsys.readouterr().out

    assert dry.replace("would purge", "purged") == real
    assert "weticket_ticketing.order:buyer: purged 4, held 1" in real
    assert "weticket_mail.outboxmessage:recipient: purged 1, held 0" in real
    assert Order.objects.filter(anonymised_at__isnull=False).count() == 4
    assert OutboxMessage.objects.get(dedupe_key__startswith="erased:").to == ""
    logs = PurgeLogEntry.objects.filter(category="orders")
    assert sorted(logs.values_list("dry_run", "total", "held", "status")) == [
        (False, 4, 1, "done"),
        (True, 4, 1, "done"),
    ]


def test_an_unknown_category_is_refused_before_anything_runs():
    order_of("unknown@example.net")
    with pytest.raises(CommandError, match="Unknown retention category ordres"):
        call_command("weticket_purge", "--category", "ordres")
    assert not PurgeLogEntry.objects.exists()


def test_the_statement_shows_the_period_that_runs():
    fiscal = rule("fiscal_records", 7, counted_from="financial_year_end")
    assert fiscal.period == "7 years after the end of the financial year"
    fiscal.period_amount = 10
    fiscal.save()
    assert str(fiscal) == "fiscal_records: 10 years after the end of the financial year"
    assert retention.period_for("fiscal_records").amount == 10
    assert retention.period_for("outbox") == Period(1, "years", "record")  # the default


def test_superusers_see_the_purge_log(client, admin_user):
    retention.purge(["orders"], now=FIRST_MOMENT, dry_run=True)
    client.force_login(admin_user)
    response = client.get("/admin/weticket_purge_log/")
    assert response.status_code == 200
    assert "Buyers&#x27; details on orders" in response.content.decode()
