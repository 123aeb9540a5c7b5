"""Insights: small groups hidden everywhere and not recoverable, tenants apart, flags honoured."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.insights.services.aggregates import organisation_insights
from weticket_wagtail.insights.services.charts import bar_chart
from weticket_wagtail.insights.services.suppression import Cell, suppress
from weticket_wagtail.privacy.services.flags import set_flag

from .conftest import sell

pytestmark = pytest.mark.django_db

MAY = timezone.make_aware(datetime.datetime(2026, 5, 10, 12))
JUNE = timezone.make_aware(datetime.datetime(2026, 6, 10, 12))
JULY = timezone.make_aware(datetime.datetime(2026, 7, 10, 12))


def populate(orgs) -> None:
    """Alpha: 9 Regular buyers (6 in May, 3 in June) paying by iDEAL, 2 VIP buyers by card in
    July; Bravo: 7 buyers."""
    for n in range(6):
        sell(orgs["regular"], email=f"may{n}@example.net", when=MAY)
    for n in range(3):
        sell(orgs["regular"], email=f"june{n}@example.net", when=JUNE)
    for n in range(2):
        sell(orgs["vip"], email=f"vip{n}@example.net", method="creditcard", when=JULY)
    for n in range(7):
        sell(orgs["bravo"], email=f"bravo{n}@example.net", quantity=3, when=MAY)


def cells_by_key(table) -> dict[str, Cell]:
    return {cell.key: cell for cell in table.cells}


def test_one_small_cell_takes_the_next_smallest_with_it():
    cells = [Cell("a", "A", orders=2), Cell("b", "B", orders=6), Cell("c", "C", orders=40)]
    total = Cell("t", "Total", orders=48)
    suppress(cells, total, k=5)
    assert [cell.suppressed for cell in cells] == [True, True, False]
    assert not total.suppressed


def test_hidden_cells_together_reach_k():
    cells = [Cell("a", "A", orders=1), Cell("b", "B", orders=1), Cell("c", "C", orders=9)]
    total = Cell("t", "Total", orders=11)
    suppress(cells, total, k=5)
    # 1 + 1 would still be a group of two people: the next-smallest goes too.
    assert [cell.suppressed for cell in cells] == [True, True, True]


def test_a_small_total_hides_everything():
    cells = [Cell("a", "A", orders=2), Cell("b", "B", orders=1)]
    total = Cell("t", "Total", orders=3)
    suppress(cells, total, k=5)
    assert total.suppressed and all(cell.suppressed for cell in cells)


def test_small_group_is_hidden_in_table_chart_and_csv_and_cannot_be_subtracted(client, orgs):
    populate(orgs)
    insights = organisation_insights(orgs["org_a"])
    months = cells_by_key(insights.over_time)
    june, july, may = months["2026-06-01"], months["2026-07-01"], months["2026-05-01"]
    # June (3 orders) and July (2 orders) are below k=5; May is shown, and so is the total 11.
    assert june.suppressed and july.suppressed and not may.suppressed
    total = insights.over_time.total
    assert not total.suppressed and total.orders == 11
    shown = sum(cell.orders for cell in insights.over_time.shown)
    hidden = [cell for cell in insights.over_time.cells if cell.suppressed]
    # What subtraction yields is the sum of at least two hidden cells, itself not a small group.
    assert len(hidden) >= 2 and total.orders - shown >= insights.k

    # Per ticket type: VIP (2 orders) is hidden, and with only two ticket types the other
    # goes too, or the event's row minus Regular would give VIP away.
    event = insights.event_rows[0]
    assert all(cell.suppressed for cell in event.ticket_types)
    assert not event.event.suppressed and event.event.orders == 11

    chart = bar_chart(
        insights.over_time,
        title="t",
        value=lambda cell: cell.revenue,
        display=lambda cell: str(cell.orders),
    )
    assert [bar.label for bar in chart.bars] == [may.label]
    assert chart.hidden == 2

    client.force_login(orgs["member"])
    page = client.get(reverse("weticket_insights")).content.decode()
    assert 'data-cell="2026-06-01" data-suppressed' in page
    assert "VIP" in page  # the row is there, its figures are not
    over_time_table = page.split('data-table="over_time"')[1].split("</table>")[0]
    assert ">3<" not in over_time_table and ">2<" not in over_time_table
    svg = page.split('data-chart="over_time"')[1].split("</svg>")[0]
    assert june.label not in svg and july.label not in svg and "2 small groups hidden" in svg

    response = client.get(reverse("weticket_insights"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_group = {(row[0], row[1]): row for row in rows[1:]}
    june_row = by_group[("Sales over time", june.label)]
    assert june_row[2:6] == ["", "", "", ""] and june_row[-1] == "1"
    vip_row = by_group[("Ticket types of " + event.event.label, "VIP")]
    assert vip_row[2] == "" and vip_row[-1] == "1"
    methods = cells_by_key(insights.methods)
    # Card (2) is hidden, and iDEAL with it: the total minus iDEAL would be card's count.
    assert methods["method:creditcard"].suppressed and methods["method:ideal"].suppressed


def test_organisation_a_never_sees_bravos_figures(client, orgs):
    populate(orgs)
    client.force_login(orgs["member"])
    page = client.get(reverse("weticket_insights")).content.decode()
    assert "Alpha Night" in page and "Bravo" not in page
    assert (
        client.get(reverse("weticket_insights"), {"organisation": orgs["org_b"].pk}).status_code
        == 404
    )
    export = client.get(
        reverse("weticket_insights"), {"organisation": orgs["org_b"].pk, "export": "csv"}
    )
    assert export.status_code == 404
    books = client.get(reverse("weticket_insights_bookkeeping"), {"organisation": orgs["org_b"].pk})
    assert books.status_code == 404
    # Bravo's 7 orders of 3 tickets (630.00) show nowhere in Alpha's figures.
    assert organisation_insights(orgs["org_a"]).total.tickets == 11
    assert "630" not in page


def test_flagged_buyers_are_left_out(orgs):
    for n in range(6):
        sell(orgs["regular"], email=f"may{n}@example.net", when=MAY)
    assert organisation_insights(orgs["org_a"]).total.orders == 6
    set_flag(" MAY0@example.net ", "objection")
    set_flag("may1@example.net", "restriction")
    set_flag("may2@example.net", "legal_hold")  # a hold keeps data, it does not limit use
    insights = organisation_insights(orgs["org_a"])
    assert insights.total.orders == 4
    assert insights.total.suppressed  # 4 < k: nothing is shown at all
    assert all(cell.suppressed for cell in insights.over_time.cells)


def test_no_personal_data_on_the_page_or_in_the_csv(client, orgs):
    for n in range(6):
        sell(orgs["regular"], email=f"may{n}@example.net", when=MAY, name="Zoë de Vries")
    client.force_login(orgs["member"])
    page = client.get(reverse("weticket_insights")).content.decode()
    export = client.get(reverse("weticket_insights"), {"export": "csv"}).content.decode()
    for text in (page, export):
        assert "example.net" not in text and "Zoë" not in text


def test_page_query_count_does_not_grow_with_orders_or_events(client, orgs):
    populate(orgs)
    client.force_login(orgs["member"])
    client.get(reverse("weticket_insights"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("weticket_insights")).status_code == 200
    for n in range(3):
        event_type = orgs["regular"].__class__.objects.create(
            event=orgs["event_a"],
            name=f"Extra {n}",
            price=Decimal("5.00"),
            vat_rate=Decimal("9"),
            capacity=5,
        )
        for m in range(6):
            sell(event_type, email=f"extra{n}-{m}@example.net", when=JUNE)
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse("weticket_insights")).status_code == 200
    assert len(more) == len(few)
    assert len(few) <= 25  # the admin chrome (session, user, menus) included
