"""The statements of a reservation, written as SQL once instead of compiled by the ORM each time.

:func:`~weticket_wagtail.ticketing.services.reservations.reserve_tickets` runs in every
buyer's request of a flash sale. Turning its querysets into SQL cost about four times the CPU
of running that SQL (docs/performance.md), and on a small server that CPU is the limit on how
many buyers are served per second. So its statements are written here, from the models'
metadata (table and column names quoted for the database in use), and built once per
connection and number of ticket types.

Only integers and strings come back, so no value needs the ORM's converters. Anything that
is not the plain case (a ticket type missing, off sale, a quantity outside its limits) is left
to the ORM-based validation, which finds the exact reason and words it for the buyer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import Event, Reservation, ReservationLine, TicketType


@dataclass(frozen=True)
class LockedTicketType:
    """What the lock statement reads of a ticket type that may be sold now."""

    pk: int
    name: str
    capacity: int
    sold_count: int
    min_per_order: int
    max_per_order: int
    requires_voucher: bool


def database_alias() -> str:
    return router.db_for_write(TicketType)


def _columns(model, *names: str) -> dict[str, str]:
    return {name: model._meta.get_field(name).column for name in names}


class HoldStatements:
    """The SQL of one database connection's vendor, with ``%s`` placeholders."""

    def __init__(self, connection: BaseDatabaseWrapper):
        # Only identifiers from the models' metadata (quoted) and placeholders go into the SQL;
        # every value is a parameter. Hence the noqa: S608 below.
        qn = connection.ops.quote_name
        self.ops = connection.ops
        self.alias = connection.alias
        tt = {k: qn(v) for k, v in _columns(TicketType, *TICKET_TYPE_FIELDS).items()}
        ev = {k: qn(v) for k, v in _columns(Event, *EVENT_FIELDS).items()}
        rl = {k: qn(v) for k, v in _columns(ReservationLine, *LINE_FIELDS).items()}
        rs = {k: qn(v) for k, v in _columns(Reservation, "id", *RESERVATION_FIELDS).items()}
        ticket_types = qn(TicketType._meta.db_table)
        events = qn(Event._meta.db_table)
        lines = qn(ReservationLine._meta.db_table)
        reservations = qn(Reservation._meta.db_table)
        # FOR NO KEY UPDATE where the database has it: it still excludes every other buyer's
        # lock, but not the key-share locks that foreign-key checks take, so writing the hold
        # before locking cannot deadlock even where those checks are not deferred.
        for_update = ""
        if connection.features.has_select_for_update:
            of = ("t",) if connection.features.has_select_for_update_of else ()
            no_key = connection.features.has_select_for_no_key_update
            for_update = " " + connection.ops.for_update_sql(of=of, no_key=no_key)
        # Same rules as validate_quantities() and TicketType.sale_state(): the event is
        # published and not over, the ticket type active and inside its sale window (which
        # ends at the event's start unless it says otherwise).
        self._lock = " ".join(
            [
                f"SELECT t.{tt['id']}, t.{tt['name']}, t.{tt['capacity']}, t.{tt['sold_count']},",
                f"t.{tt['min_per_order']}, t.{tt['max_per_order']}, t.{tt['requires_voucher']}",
                f"FROM {ticket_types} t INNER JOIN {events} e ON e.{ev['id']} = t.{tt['event']}",
                f"WHERE t.{tt['event']} = %s AND t.{tt['id']} IN ({{ids}})",
                f"AND t.{tt['is_active']} = %s AND e.{ev['is_published']} = %s",
                f"AND e.{ev['ends_at']} > %s",
                f"AND (t.{tt['sale_starts_at']} IS NULL OR t.{tt['sale_starts_at']} <= %s)",
                f"AND COALESCE(t.{tt['sale_ends_at']}, e.{ev['starts_at']}) > %s",
                f"ORDER BY t.{tt['id']}{for_update}",
            ]
        )
        self._holds = " ".join(
            [
                f"SELECT {rl['ticket_type']}, SUM({rl['quantity']}) FROM {lines}",  # noqa: S608
                f"WHERE {rl['ticket_type']} IN ({{ids}}) AND {rl['is_live']} = %s",
                f"AND {rl['expires_at']} > %s AND {rl['reservation']} <> %s",
                f"GROUP BY {rl['ticket_type']}",
            ]
        )
        # The same client's other holds of the event (services/hold_limits.py): whether each
        # is the same browser / address, its times, whether it was sold, its live tickets.
        self._client_holds = " ".join(
            [
                f"SELECT r.{rs['browser_hash']} = %s, r.{rs['address_hash']} = %s,",  # noqa: S608
                f"r.{rs['created_at']}, r.{rs['expires_at']}, r.{rs['status']} = %s,",
                f"(SELECT COALESCE(SUM(l.{rl['quantity']}), 0) FROM {lines} l",  # noqa: S608
                f"WHERE l.{rl['reservation']} = r.{rs['id']} AND l.{rl['is_live']} = %s",
                f"AND l.{rl['expires_at']} > %s)",
                f"FROM {reservations} r WHERE r.{rs['event']} = %s AND r.{rs['id']} <> %s",
                f"AND r.{rs['created_at']} > %s",
                f"AND (r.{rs['browser_hash']} = %s OR r.{rs['address_hash']} = %s)",
            ]
        )
        self.can_return_id = connection.features.can_return_columns_from_insert
        columns = ", ".join(rs[f] for f in RESERVATION_FIELDS)
        placeholders = ", ".join(["%s"] * len(RESERVATION_FIELDS))
        self._insert_reservation = (
            f"INSERT INTO {reservations} ({columns}) VALUES ({placeholders}) RETURNING {rs['id']}"  # noqa: S608
        )
        line_columns = ", ".join(rl[f] for f in LINE_FIELDS)
        self._insert_lines = f"INSERT INTO {lines} ({line_columns}) VALUES {{rows}}"  # noqa: S608
        self._line_row = f"({', '.join(['%s'] * len(LINE_FIELDS))})"
        # PostgreSQL writes the reservation and its lines in one statement.
        self.one_statement_hold = connection.vendor == "postgresql"
        line_values = {"reservation": "r.id", "ticket_type": "v.t", "quantity": "v.q"}
        # With advisory locks (one client's reservations, services/hold_limits.py) taken in the
        # same statement: a CTE calling a volatile function runs once, and the statement
        # returns only when the locks are granted, so the next statement sees every earlier
        # hold of that client.
        self._insert_hold = " ".join(
            [
                f"WITH r AS (INSERT INTO {reservations} ({columns})",  # noqa: S608
                f"VALUES ({placeholders}) RETURNING {rs['id']}){{locks}}",
                f"INSERT INTO {lines} ({line_columns})",
                f"SELECT {', '.join(line_values.get(f, '%s') for f in LINE_FIELDS)}",
                "FROM r{lock_join}, (VALUES {rows}) AS v (t, q)",
                f"RETURNING {rl['reservation']}",
            ]
        )

    def _datetime(self, value: datetime):
        return self.ops.adapt_datetimefield_value(value)

    def lock_ticket_types(
        self, cursor, event_id: int, ids: Sequence[int], now: datetime
    ) -> list[LockedTicketType]:
        """Lock the rows of ``ids`` that may be sold now, in primary-key order."""
        sql = self._lock.format(ids=", ".join(["%s"] * len(ids)))
        at = self._datetime(now)
        cursor.execute(sql, [event_id, *ids, True, True, at, at, at])
        return [
            LockedTicketType(*row[:-1], requires_voucher=bool(row[-1])) for row in cursor.fetchall()
        ]

    def live_holds(
        self, cursor, ids: Sequence[int], now: datetime, not_counting: int
    ) -> dict[int, int]:
        sql = self._holds.format(ids=", ".join(["%s"] * len(ids)))
        cursor.execute(sql, [*ids, True, self._datetime(now), not_counting])
        return {pk: int(held) for pk, held in cursor.fetchall()}

    def client_holds(
        self,
        cursor,
        event_id: int,
        browser: str,
        address: str,
        since: datetime,
        now: datetime,
        not_counting: int,
    ) -> list[tuple]:
        """The holds of ``event_id`` since ``since`` with this browser or address hash ('' for
        neither): (same browser, same address, created_at, expires_at, sold, live tickets)."""
        browser, address = browser or None, address or None  # '' must match nothing
        at = self._datetime(now)
        cursor.execute(
            self._client_holds,
            [
                browser,
                address,
                Reservation.Status.CONVERTED,
                True,
                at,
                event_id,
                not_counting,
                self._datetime(since),
                browser,
                address,
            ],
        )
        return [
            (bool(b), bool(a), self._aware(c), self._aware(e), bool(sold), int(q))
            for b, a, c, e, sold, q in cursor.fetchall()
        ]

    def _aware(self, value) -> datetime:
        """A datetime column as an aware datetime (PostgreSQL gives one; SQLite a string)."""
        if isinstance(value, str):
            value = parse_datetime(value)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value

    def insert_hold(
        self,
        cursor,
        reservation: Reservation,
        quantities: Mapping[int, int],
        locks: Sequence[tuple[int, int]] = (),
    ) -> None:
        """Insert ``reservation`` (unsaved, every field set) and a line per ticket type id in
        ``quantities``; give the reservation its id.

        ``locks`` are advisory locks (two integer keys each, in an order every caller keeps)
        held from here to the end of the transaction. Only PostgreSQL has them; elsewhere
        writers are serialised by the database itself (SQLite), and they are not taken.
        """
        if not self.one_statement_hold:
            if self.can_return_id:
                self.insert_reservation(cursor, reservation)
            else:  # no INSERT ... RETURNING (SQLite before 3.35)
                reservation.save(force_insert=True, using=self.alias)
            self.insert_lines(cursor, reservation.pk, quantities, reservation.expires_at)
            return
        extra = {"expires_at": self._datetime(reservation.expires_at), "is_live": True}
        params = [*self._reservation_values(reservation)]
        for key in locks:
            params += list(key)
        params += [extra[f] for f in LINE_FIELDS if f in extra]
        for pk, qty in quantities.items():
            params += [pk, qty]
        rows = ", ".join(["(%s, %s)"] * len(quantities))
        lock_calls = ", ".join(["pg_advisory_xact_lock(%s, %s)"] * len(locks))
        sql = self._insert_hold.format(
            rows=rows,
            locks=f", a AS (SELECT {lock_calls})" if locks else "",
            lock_join=", a" if locks else "",
        )
        cursor.execute(sql, params)
        self._saved(reservation, cursor.fetchone()[0])

    def _reservation_values(self, reservation: Reservation) -> list:
        values = {
            "token": reservation.token,
            "event": reservation.event_id,
            "status": reservation.status,
            "created_at": self._datetime(reservation.created_at),
            "expires_at": self._datetime(reservation.expires_at),
            "browser_hash": reservation.browser_hash,
            "address_hash": reservation.address_hash,
            "voucher": reservation.voucher_id,
        }
        return [values[f] for f in RESERVATION_FIELDS]

    def _saved(self, reservation: Reservation, pk: int) -> None:
        reservation.pk = pk
        reservation._state.adding = False
        reservation._state.db = self.alias

    def insert_reservation(self, cursor, reservation: Reservation) -> None:
        """Insert ``reservation`` (unsaved, every field set) and give it its id."""
        cursor.execute(self._insert_reservation, self._reservation_values(reservation))
        self._saved(reservation, cursor.fetchone()[0])

    def insert_lines(
        self, cursor, reservation_id: int, quantities: Mapping[int, int], expires_at: datetime
    ) -> None:
        at = self._datetime(expires_at)
        params = []
        for pk, qty in quantities.items():
            values = {
                "reservation": reservation_id,
                "ticket_type": pk,
                "quantity": qty,
                "expires_at": at,
                "is_live": True,
            }
            params += [values[f] for f in LINE_FIELDS]
        sql = self._insert_lines.format(rows=", ".join([self._line_row] * len(quantities)))
        cursor.execute(sql, params)


TICKET_TYPE_FIELDS = (
    "id",
    "event",
    "name",
    "capacity",
    "sold_count",
    "min_per_order",
    "max_per_order",
    "is_active",
    "requires_voucher",
    "sale_starts_at",
    "sale_ends_at",
)
EVENT_FIELDS = ("id", "is_published", "starts_at", "ends_at")
#: Every column a reservation or line is created with (a test checks that none is missing).
RESERVATION_FIELDS = (
    "token",
    "event",
    "status",
    "created_at",
    "expires_at",
    "browser_hash",
    "address_hash",
    "voucher",
)
LINE_FIELDS = ("reservation", "ticket_type", "quantity", "expires_at", "is_live")

_statements: dict[tuple[str, str], HoldStatements] = {}


def statements(connection: BaseDatabaseWrapper) -> HoldStatements:
    """The statements for ``connection`` (built on first use)."""
    key = (connection.alias, connection.vendor)
    if key not in _statements:
        _statements[key] = HoldStatements(connection)
    return _statements[key]
