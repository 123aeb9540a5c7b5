"""How much one client may hold of an event: so that nobody can sit on a sale's whole stock.

A *client* is a browser and the network address it comes from. The browser is recognised by
its CSRF cookie (every reservation is a POST that needs it anyway, so no session is created
for anonymous buyers); the address is ``REMOTE_ADDR``, IPv6 addresses by their /64 network
(what one household or phone gets). Someone who drops their cookies becomes a new browser
with every visit, but stays at the same address: hence limits for both, the address's higher
because several buyers may share one address (a venue's Wi-Fi, an office, a mobile carrier).

The limits, per event (``WETICKET["HOLD_LIMITS"]``, 0 switches one off):

- ``browser_tickets`` / ``address_tickets``: tickets held at once, in live holds;
- ``browser_minutes`` / ``address_minutes``: minutes of holding within the last
  ``window_minutes``. Each earlier hold counts from its start until it ran out (or now, while
  it is live); holds that became paid orders do not count. Once a client has held tickets for
  that long without buying, it gets no new hold until old holds leave the window: a hold
  cannot be renewed for ever.

Only keyed hashes of the two identities are stored on the reservation (HMAC-SHA256 with
``SECRET_KEY``), and only while a limit is switched on; :func:`forget_client_hashes` blanks
them once ``window_minutes`` are over (the periodic release task calls it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from weticket_wagtail.conf import DEFAULTS, weticket_settings

from .errors import CheckoutError

#: The first key of our PostgreSQL advisory locks (pg_advisory_xact_lock(int, int)): "WT".
ADVISORY_NAMESPACE = 0x5754


class HoldLimitReached(CheckoutError):
    code = "hold_limit"


def client_hash(kind: str, value: str) -> str:
    """A keyed hash of a client identity: the same for the same value, useless without
    ``SECRET_KEY``. 128 bits, as 32 hex digits."""
    return salted_hmac(f"weticket.hold-client.{kind}", value, algorithm="sha256").hexdigest()[:32]


def network_of(address: str) -> str:
    """The part of an address that names one client: IPv4 as is, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class HoldClient:
    """Who asks for a hold, as keyed hashes ('' when unknown)."""

    browser: str = ""
    address: str = ""

    @classmethod
    def identify(cls, *, browser_id: str = "", address: str = "") -> HoldClient:
        """Hash a browser's identifier (its CSRF secret) and its network address."""
        return cls(
            browser=client_hash("browser", browser_id) if browser_id else "",
            address=client_hash("address", network_of(address)) if address else "",
        )


@dataclass(frozen=True)
class HoldLimits:
    """The limits in force (defaults in ``conf.DEFAULTS["HOLD_LIMITS"]``)."""

    browser_tickets: int = 0
    address_tickets: int = 0
    browser_minutes: int = 0
    address_minutes: int = 0
    window_minutes: int = 0

    @classmethod
    def current(cls) -> HoldLimits:
        """The limits in ``WETICKET["HOLD_LIMITS"]`` (missing keys keep their defaults)."""
        configured = {**DEFAULTS["HOLD_LIMITS"], **(weticket_settings.HOLD_LIMITS or {})}
        known = {k: int(v or 0) for k, v in configured.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def keys(self, client: HoldClient | None) -> HoldClient:
        """The parts of ``client`` that some switched-on limit needs (only those are stored)."""
        if client is None:
            return HoldClient()
        return HoldClient(
            browser=client.browser if self.browser_tickets or self.browser_minutes else "",
            address=client.address if self.address_tickets or self.address_minutes else "",
        )

    def lookback(self) -> timedelta:
        """How far back holds matter (also: how long the hashes are kept)."""
        return timedelta(minutes=max(self.window_minutes, weticket_settings.RESERVATION_MINUTES))


def advisory_keys(client: HoldClient) -> list[int]:
    """The second keys of the advisory locks that serialise one client's reservations, in
    ascending order (every transaction takes them in the same order: no deadlock)."""
    keys = {int(value[:7], 16) for value in (client.browser, client.address) if value}
    return sorted(keys)


@dataclass(frozen=True)
class EarlierHold:
    """A hold of the same event by the same browser or address (from ``hold_sql``)."""

    same_browser: bool
    same_address: bool
    created_at: datetime
    expires_at: datetime
    converted: bool
    live_tickets: int

    def minutes(self, now: datetime) -> float:
        if self.converted:
            return 0.0
        return max(0.0, (min(self.expires_at, now) - self.created_at).total_seconds() / 60)


def check_client_holds(
    earlier: Iterable[EarlierHold],
    client: HoldClient,
    limits: HoldLimits,
    wanted: int,
    now: datetime,
) -> None:
    """Raise :class:`HoldLimitReached` (with the reason and when to come back) if a new hold
    of ``wanted`` tickets would take ``client`` over a limit. ``earlier`` are the client's
    other holds of the event; the caller has serialised this client's reservations."""
    earlier = list(earlier)
    window_start = now - timedelta(minutes=limits.window_minutes)
    for side, tickets_limit, minutes_limit in (
        ("browser", limits.browser_tickets, limits.browser_minutes),
        ("address", limits.address_tickets, limits.address_minutes),
    ):
        if not getattr(client, side):
            continue
        mine = [h for h in earlier if (h.same_browser if side == "browser" else h.same_address)]
        live = [h for h in mine if h.live_tickets]
        held = sum(h.live_tickets for h in live)
        if tickets_limit and held + wanted > tickets_limit:
            until = min(h.expires_at for h in live) if live else now
            raise _too_many(side, held, tickets_limit, until)
        recent = [h for h in mine if h.created_at > window_start and not h.converted]
        if minutes_limit and sum(h.minutes(now) for h in recent) >= minutes_limit:
            oldest = min(h.created_at for h in recent)
            raise _too_long(side, oldest + timedelta(minutes=limits.window_minutes))


def _when(moment: datetime) -> str:
    return time_format(timezone.localtime(moment))


def _too_many(side: str, held: int, limit: int, until: datetime) -> HoldLimitReached:
    values = {"held": held, "limit": limit, "time": _when(until)}
    if side == "browser":
        message = ngettext(
            "You already hold %(held)d ticket for this event, and one buyer may hold at most "
            "%(limit)d at a time. Complete that order first, or choose again after %(time)s, "
            "when your earlier reservation runs out.",
            "You already hold %(held)d tickets for this event, and one buyer may hold at most "
            "%(limit)d at a time. Complete that order first, or choose again after %(time)s, "
            "when your earlier reservation runs out.",
            held,
        )
    else:
        message = _(
            "Buyers on your network already hold %(held)d tickets for this event, the most we "
            "let one network hold at a time (%(limit)d). Please try again after %(time)s."
        )
    return HoldLimitReached(message % values)


def _too_long(side: str, until: datetime) -> HoldLimitReached:
    if side == "browser":
        message = _(
            "You have held tickets for this event for a long time without completing an "
            "order, so we cannot hold more for you now. Please try again after %(time)s."
        )
    else:
        message = _(
            "Tickets for this event have been held from your network for a long time without "
            "orders being completed, so we cannot hold more now. Please try again after "
            "%(time)s."
        )
    return HoldLimitReached(message % {"time": _when(until)})


def forget_client_hashes(now=None) -> int:
    """Blank the client hashes of reservations older than the limits look back: they are
    needed no longer. Returns how many reservations were changed."""
    from ..models import Reservation

    now = now or timezone.now()
    before = now - HoldLimits.current().lookback()
    stale = Reservation.objects.filter(created_at__lt=before).filter(
        ~Q(browser_hash="") | ~Q(address_hash="")
    )
    return stale.update(browser_hash="", address_hash="")
