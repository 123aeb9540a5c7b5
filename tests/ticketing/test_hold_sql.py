"""The one-statement hold (PostgreSQL) writes what the ORM would have written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from weticket_wagtail.ticketing.models import Reservation, ReservationLine
from weticket_wagtail.ticketing.services import hold_sql
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db


def test_the_hold_statements_write_every_column_that_has_no_default():
    """hold_sql writes rows without the ORM: a new required column must be added there too."""
    for model, written in (
        (Reservation, hold_sql.RESERVATION_FIELDS),
        (ReservationLine, hold_sql.LINE_FIELDS),
    ):
        required = {
            field.name
            for field in model._meta.concrete_fields
            if not field.primary_key and not field.null and not field.has_db_default()
        }
        assert required <= set(written), (model.__name__, required - set(written))


def test_a_hold_written_as_sql_reads_back_like_one_written_by_the_orm(on_sale):
    now = timezone.now().replace(microsecond=123456)
    regular, student = on_sale["regular"], on_sale["student"]
    reservation = reserve_tickets(on_sale["event"], {student.pk: 2, regular.pk: 1}, now=now)
    stored = Reservation.objects.get(pk=reservation.pk)
    assert stored.token == reservation.token and len(stored.token) >= 32
    assert stored.status == Reservation.Status.ACTIVE
    assert stored.created_at == now
    assert stored.expires_at == now + timedelta(minutes=15)
    assert stored.is_live
    lines = {line.ticket_type_id: line for line in stored.lines.all()}
    assert {pk: line.quantity for pk, line in lines.items()} == {student.pk: 2, regular.pk: 1}
    assert all(line.is_live and line.expires_at == stored.expires_at for line in lines.values())
