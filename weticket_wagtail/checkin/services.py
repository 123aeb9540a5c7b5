"""Every check-in decision: which device may scan, whether a scanned code admits someone, and
which scan of a ticket counts.

A ticket checks in once per list. The first scan that reaches the server is inserted with
``INSERT … ON CONFLICT DO NOTHING`` against the unique (list, ticket) constraint, so of twenty
devices scanning one ticket at once exactly one is told "welcome". A device that scanned
offline sends its scans later with the time they were made: if such a scan is earlier than the
recorded one, it takes its place (compare-and-set on ``scanned_at``), so the earliest scan wins
whatever order the devices sync in (an online scan is answered there and then: losing the insert
means someone was first), and every other device is told "already checked in at
20:14 at entrance B". A scan carries the device's own id for it, so a batch synced twice (the
answer was lost on the way back) counts once.

The scanner page verifies each code's signature on the device with the organisation's public
key, so it answers at once and keeps working offline; the server verifies again
(:func:`~weticket_wagtail.ticketing.services.tickets.check_ticket`) and knows what the device
cannot: refunds, cancellations and the other devices' scans.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.rows import from_row
from weticket_wagtail.ticketing.models import Event, Order, Organisation, Ticket, new_token
from weticket_wagtail.ticketing.services.ticket_signing import TOKEN_VERSION
from weticket_wagtail.ticketing.services.tickets import (
    check_ticket,
    check_ticket_code,
    normalise_ticket_code,
    signing_keys,
)

from .models import Checkin, CheckinDevice, CheckinList

#: How many scans one sync may carry; a device offline for a whole evening has fewer.
MAX_BATCH = 500
#: ``last_seen_at`` is written at most this often per device (not on every scan).
SEEN_EVERY = timedelta(minutes=1)
#: A device clock ahead of the server's by more than this is not believed.
CLOCK_SKEW = timedelta(minutes=5)


def _scanner_sql() -> str:
    """A device with its list, event and organisation, one row per ticket type of its list
    (one row with none when the list admits every type). Written out: it runs on every scan,
    and compiling the ORM's three-level join cost more than the query."""
    quote = connection.ops.quote_name
    device, checkin_list, event, organisation = (
        quote(m._meta.db_table) for m in (CheckinDevice, CheckinList, Event, Organisation)
    )
    types = quote(CheckinList.ticket_types.through._meta.db_table)
    return (
        "SELECT d.id, d.checkin_list_id, d.name, d.entrance, d.token, d.revoked,"  # noqa: S608 - names from _meta
        " d.last_seen_at, cl.event_id, cl.name, e.organisation_id, e.title, e.slug,"
        " g.name, g.slug, g.ticket_verify_key, tt.tickettype_id"
        f" FROM {device} d JOIN {checkin_list} cl ON cl.id = d.checkin_list_id"
        f" JOIN {event} e ON e.id = cl.event_id JOIN {organisation} g ON g.id = e.organisation_id"
        f" LEFT JOIN {types} tt ON tt.checkinlist_id = cl.id"
        " WHERE d.token = %s"
    )


def _aware(value) -> datetime | None:
    """A timestamp as the database driver returned it (SQLite gives text), made aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _load_device(token: str) -> tuple[CheckinDevice | None, frozenset[int]]:
    """The device with ``token`` (its list, event and organisation attached) and the ids of
    the ticket types its list admits (empty: all)."""
    with connection.cursor() as cursor:
        cursor.execute(_scanner_sql(), [token])
        rows = cursor.fetchall()
    if not rows:
        return None, frozenset()
    (pk, list_id, name, entrance, token, revoked, last_seen_at, event_id, list_name) = rows[0][:9]
    (organisation_id, title, slug, org_name, org_slug, verify_key) = rows[0][9:15]
    device = from_row(
        CheckinDevice,
        {
            "id": pk,
            "checkin_list_id": list_id,
            "name": name,
            "entrance": entrance,
            "token": token,
            "revoked": bool(revoked),
            "last_seen_at": _aware(last_seen_at),
        },
    )
    device.checkin_list = from_row(
        CheckinList, {"id": list_id, "event_id": event_id, "name": list_name}
    )
    event = from_row(
        Event, {"id": event_id, "organisation_id": organisation_id, "title": title, "slug": slug}
    )
    event.organisation = from_row(
        Organisation,
        {
            "id": organisation_id,
            "name": org_name,
            "slug": org_slug,
            "ticket_verify_key": verify_key,
        },
    )
    device.checkin_list.event = event
    return device, frozenset(r[15] for r in rows if r[15] is not None)


class DeviceUnavailable(Exception):
    """The scanner link is unknown or revoked. ``revoked`` tells the two apart."""

    def __init__(self, message: str, *, revoked: bool):
        super().__init__(message)
        self.revoked = revoked


@dataclass
class Scanner:
    """A device resolved for one request: the list it scans and what that list admits."""

    device: CheckinDevice
    checkin_list: CheckinList
    ticket_type_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def organisation(self):
        return self.checkin_list.event.organisation


@dataclass(frozen=True)
class ScanResult:
    """The answer to one scan.

    ``status`` is ``ok`` (come in), ``already`` (checked in before: ``checked_in_at`` and
    ``entrance`` say when and where) or ``refused``; ``reason`` is stable, for machines
    (``valid``, ``already_checked_in``, ``not_genuine``, ``unknown``, ``refunded``,
    ``cancelled``, ``order_not_paid``, ``other_event``, ``not_on_list``, ``bad_scan``);
    ``message`` is for the person at the door, in the active language.
    """

    status: str
    reason: str
    message: str
    scan_id: str = ""
    code: str = ""
    ticket_type: str = ""
    holder_name: str = ""
    checked_in_at: datetime | None = None
    entrance: str = ""

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "id": self.scan_id,
            "code": self.code,
            "ticket_type": self.ticket_type,
            "holder_name": self.holder_name,
            "checked_in_at": self.checked_in_at.isoformat() if self.checked_in_at else None,
            "entrance": self.entrance,
        }


# --------------------------------------------------------------------------- devices


#: Devices looked up by this process: token -> (monotonic expiry, device, type ids). Bounded
#: (a door has a handful of devices; a flood of unknown tokens is never stored).
_devices: dict[str, tuple[float, CheckinDevice, frozenset[int]]] = {}
_DEVICES_KEPT = 500


def forget_devices() -> None:
    """Drop this process's cached devices (a device, list, event or organisation changed)."""
    _devices.clear()


def _cached_device(token: str) -> tuple[CheckinDevice | None, frozenset[int]]:
    seconds = weticket_settings.CHECKIN_DEVICE_CACHE_SECONDS
    if not seconds:
        return _load_device(token)
    now = time.monotonic()
    kept = _devices.get(token)
    if kept is not None and kept[0] > now:
        return kept[1], kept[2]
    device, type_ids = _load_device(token)
    if device is not None:
        if len(_devices) >= _DEVICES_KEPT:
            _devices.clear()
        _devices[token] = (now + seconds, device, type_ids)
    return device, type_ids


def scanner_for(token: str) -> Scanner:
    """The device whose link carries ``token``, with its list; raises
    :class:`DeviceUnavailable` for an unknown or revoked link.

    The device is kept for ``CHECKIN_DEVICE_CACHE_SECONDS`` by this process (see the setting).
    """
    device, type_ids = _cached_device(token) if token else (None, frozenset())
    if device is None:
        raise DeviceUnavailable(_("This scanner link does not exist."), revoked=False)
    if device.revoked:
        raise DeviceUnavailable(
            _("This scanner link was revoked. Ask the organiser for a new one."), revoked=True
        )
    checkin_list = device.checkin_list
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        CheckinDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now  # the cached device too: once a minute, not every scan
    return Scanner(device=device, checkin_list=checkin_list, ticket_type_ids=type_ids)


def scanner_config(scanner: Scanner) -> dict:
    """What the scanner page needs to answer on its own: the public key to verify codes with,
    and which event and ticket types the list admits."""
    checkin_list = scanner.checkin_list
    _private, public = signing_keys(scanner.organisation)
    type_names = (
        sorted(checkin_list.ticket_types.values_list("name", flat=True))
        if scanner.ticket_type_ids
        else None
    )
    return {
        "device": scanner.device.name,
        "entrance": scanner.device.entrance,
        "list": checkin_list.name,
        "event": checkin_list.event.title,
        "eventSlug": checkin_list.event.slug,
        "organisationSlug": scanner.organisation.slug,
        "verifyKey": public,
        "ticketTypes": type_names,
    }


def rotate_link(device: CheckinDevice) -> CheckinDevice:
    """Give the device a new link (the old one stops working) and un-revoke it."""
    device.token = new_token()
    device.revoked = False
    device.save(update_fields=["token", "revoked"])
    return device


# --------------------------------------------------------------------------- scanning


def _time_text(moment: datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "SHORT_DATE_FORMAT") + " " + date_format(local, "H:i")


def _already(existing: Checkin, scan_id: str, ticket: Ticket) -> ScanResult:
    entrance = existing.entrance or "?"
    return ScanResult(
        "already",
        "already_checked_in",
        _("Already checked in at %(time)s at entrance %(entrance)s.")
        % {"time": _time_text(existing.scanned_at), "entrance": entrance},
        scan_id,
        ticket.code,
        ticket.line.name,
        ticket.holder_name,
        existing.scanned_at,
        existing.entrance,
    )


def _refused(reason: str, message: str, scan_id: str, ticket: Ticket | None = None) -> ScanResult:
    return ScanResult(
        "refused",
        reason,
        message,
        scan_id,
        ticket.code if ticket else "",
        ticket.line.name if ticket else "",
    )


def _insert(scanner: Scanner, ticket: Ticket, scanned_at, scan_id: str, offline: bool) -> bool:
    """Insert the check-in unless the ticket has one on this list; True when this one won."""
    table = connection.ops.quote_name(Checkin._meta.db_table)
    columns = (
        "checkin_list_id, ticket_id, device_id, entrance, scanned_at, client_scan_id, "
        "offline, updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "  # noqa: S608 - table name from _meta
            "ON CONFLICT (checkin_list_id, ticket_id) DO NOTHING RETURNING id",
            [
                scanner.checkin_list.pk,
                ticket.pk,
                scanner.device.pk,
                scanner.device.entrance,
                scanned_at,
                scan_id,
                offline,
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


def _scan_time(value, now: datetime) -> datetime:
    """When the device says it scanned; never later than now (a fast clock is not believed)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return min(value, now) if value <= now + CLOCK_SKEW else now


def scan(
    scanner: Scanner,
    token: str,
    *,
    scanned_at: datetime | str | None = None,
    scan_id: str = "",
    offline: bool = False,
) -> ScanResult:
    """Check in the ticket whose signed ``token`` was scanned (or whose code was typed:
    anything that is not a signed token is looked up as a code), or say why not.

    The signature must be the organisation's, the ticket valid and paid (refunded and
    cancelled ones are refused), of the list's event and one of its ticket types. The
    earliest scan of a ticket on a list wins; a later one is answered ``already``.
    """
    now = timezone.now()
    scan_id = str(scan_id or "")[:64]
    token = (token or "").strip()
    if token.startswith(TOKEN_VERSION + "."):
        check = check_ticket(scanner.organisation, token)
    else:
        check = check_ticket_code(scanner.organisation, token)
    ticket = check.ticket
    if not check.accepted:
        return _refused(check.reason, check.message, scan_id, ticket)
    if ticket.order.event_id != scanner.checkin_list.event_id:
        return _refused("other_event", _("This ticket is for another event."), scan_id, ticket)
    if scanner.ticket_type_ids and ticket.line.ticket_type_id not in scanner.ticket_type_ids:
        return _refused(
            "not_on_list",
            _("A “%(type)s” ticket does not get in on this list.") % {"type": ticket.line.name},
            scan_id,
            ticket,
        )
    when = _scan_time(scanned_at, now)
    if not _insert(scanner, ticket, when, scan_id, offline):
        rows = Checkin.objects.filter(checkin_list=scanner.checkin_list, ticket=ticket)
        existing = next(iter(rows.order_by()[:1]), None)  # one row at most: no ORDER BY
        if existing is None:  # deleted in between (an erasure): try once more
            return scan(scanner, token, scanned_at=when, scan_id=scan_id, offline=offline)
        replay = scan_id and existing.client_scan_id == scan_id
        if replay:
            when = existing.scanned_at
        elif (
            offline
            and when < existing.scanned_at
            and rows.filter(scanned_at__gt=when).update(
                device=scanner.device,
                entrance=scanner.device.entrance,
                scanned_at=when,
                client_scan_id=scan_id,
                offline=offline,
                updated_at=now,
            )
        ):
            pass  # made offline before the recorded one: it takes its place
        else:
            # an offline scan that lost the compare-and-set: another one moved the row since
            latest = (rows.first() or existing) if offline else existing
            return _already(latest, scan_id, ticket)
    return ScanResult(
        "ok",
        "valid",
        _("Welcome: checked in."),
        scan_id,
        ticket.code,
        ticket.line.name,
        ticket.holder_name,
        when,
        scanner.device.entrance,
    )


def scan_batch(scanner: Scanner, scans: Sequence) -> list[ScanResult]:
    """Check in each of ``scans`` (``{"token", "id", "scanned_at", "offline"}``) in order.

    One bad item is answered ``bad_scan`` without costing the others their place. The batch
    commits once (one disk flush, not one per scan); a sync cut short keeps nothing and the
    device sends it again, which the scan ids make safe.
    """
    if len(scans) > MAX_BATCH:
        raise ValueError(_("Send at most %(count)d scans at once.") % {"count": MAX_BATCH})
    # Ticket by ticket in code order, whatever order the device sent them in: two devices
    # syncing the same tickets then wait for each other instead of deadlocking.
    if len(scans) == 1:  # a device online sends one scan: no transaction of its own to open
        return [_scan_item(scanner, scans[0])]
    order = sorted(range(len(scans)), key=lambda i: _sort_key(scans[i]))
    results: list[ScanResult | None] = [None] * len(scans)
    with transaction.atomic():
        for index in order:
            results[index] = _scan_item(scanner, scans[index])
    return results


def _sort_key(item) -> str:
    """The ticket code a scan is about, read without checking anything (for ordering only)."""
    token = item.get("token") if isinstance(item, dict) else None
    if not isinstance(token, str):
        return ""
    token = token.strip()
    if token.startswith(TOKEN_VERSION + "."):
        try:
            segment = token.split(".")[1]
            payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            return str(payload.get("c", ""))
        except (ValueError, IndexError, AttributeError):
            return ""
    return normalise_ticket_code(token)


def _scan_item(scanner: Scanner, item) -> ScanResult:
    if not isinstance(item, dict) or not isinstance(item.get("token"), str):
        scan_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        return _refused("bad_scan", _("This scan could not be read."), scan_id)
    return scan(
        scanner,
        item["token"],
        scanned_at=item.get("scanned_at"),
        scan_id=str(item.get("id") or ""),
        offline=bool(item.get("offline")),
    )


def scanner_state(scanner: Scanner, since: datetime | str | None = None) -> dict:
    """What the scanner keeps for offline answers: the list's check-ins received after
    ``since`` (all of them without it) and the codes of its event's void tickets."""
    if isinstance(since, str):
        since = parse_datetime(since)
    now = timezone.now()
    checkins = Checkin.objects.filter(checkin_list=scanner.checkin_list)
    if since is not None:
        checkins = checkins.filter(updated_at__gt=since - timedelta(seconds=2))
    checked_in = {
        code: {"at": at.isoformat(), "entrance": entrance, "id": scan_id}
        for code, at, entrance, scan_id in checkins.values_list(
            "ticket__code", "scanned_at", "entrance", "client_scan_id"
        ).iterator(chunk_size=5000)
    }
    void = list(
        Ticket.objects.filter(order__event_id=scanner.checkin_list.event_id)
        .exclude(status=Ticket.Status.VALID)
        .values_list("code", flat=True)
    )
    return {"now": now.isoformat(), "checked_in": checked_in, "void": void}


# --------------------------------------------------------------------------- counting


def expected_tickets(checkin_list: CheckinList) -> QuerySet[Ticket]:
    """The tickets a list expects: valid tickets of paid orders of its event and types."""
    tickets = Ticket.objects.filter(
        order__event_id=checkin_list.event_id,
        order__status=Order.Status.PAID,
        status=Ticket.Status.VALID,
    )
    type_ids = list(checkin_list.ticket_types.values_list("pk", flat=True))
    if type_ids:
        tickets = tickets.filter(line__ticket_type_id__in=type_ids)
    return tickets


@dataclass(frozen=True)
class ListCount:
    checked_in: int
    expected: int

    @property
    def percentage(self) -> int:
        return round(100 * self.checked_in / self.expected) if self.expected else 0

    def as_json(self) -> dict:
        return {
            "checked_in": self.checked_in,
            "expected": self.expected,
            "percentage": self.percentage,
        }


def counts(lists: Iterable[CheckinList]) -> dict[int, ListCount]:
    """Checked in / expected per list, in two queries plus one per list with chosen types.

    A check-in of a ticket refunded after it was scanned still counts as checked in (the
    person is inside); it no longer counts as expected.
    """
    lists = list(lists)
    if not lists:
        return {}
    checked = dict(
        Checkin.objects.filter(checkin_list__in=lists)
        .values("checkin_list")
        .annotate(n=Count("pk"))
        .values_list("checkin_list", "n")
    )
    valid = Q(status=Ticket.Status.VALID, order__status=Order.Status.PAID)
    per_event = dict(
        Ticket.objects.filter(valid, order__event_id__in={cl.event_id for cl in lists})
        .values("order__event_id")
        .annotate(n=Count("pk"))
        .values_list("order__event_id", "n")
    )
    typed = set(
        CheckinList.ticket_types.through.objects.filter(checkinlist__in=lists).values_list(
            "checkinlist_id", flat=True
        )
    )
    result = {}
    for checkin_list in lists:
        if checkin_list.pk in typed:
            expected = expected_tickets(checkin_list).count()
        else:
            expected = per_event.get(checkin_list.event_id, 0)
        result[checkin_list.pk] = ListCount(checked.get(checkin_list.pk, 0), expected)
    return result
