"""Check-in at the door: lists of tickets expected at an event, the devices that scan them, and
the one check-in each ticket gets per list.

A :class:`CheckinList` says which tickets of an event it admits (every ticket type, or the chosen
ones). Door staff scan on a :class:`CheckinDevice`: a phone or laptop that opens the scanner page
by its own secret link, standing at one entrance; the organiser revokes the link when the device
is lost or the night is over. A :class:`Checkin` is the first scan of a ticket on a list; a
unique constraint makes it one per list and ticket, whichever device scanned it and whether it
was online or not (the earliest scan wins, see :mod:`.services`).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weticket_wagtail.ticketing.models import Event, Ticket, TicketType, new_token


class CheckinList(models.Model):
    """The tickets of one event that are checked in together (say, "Main entrance" or "VIP")."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="checkin_lists"
    )
    name = models.CharField(_("name"), max_length=120)
    ticket_types = models.ManyToManyField(
        TicketType,
        verbose_name=_("ticket types"),
        blank=True,
        related_name="checkin_lists",
        help_text=_("Leave empty to admit every ticket type of the event."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in list")
        verbose_name_plural = _("check-in lists")
        ordering = ["event", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.event} · {self.name}"


class CheckinDevice(models.Model):
    """A scanner: one device at one entrance, opened by its secret link, revocable."""

    checkin_list = models.ForeignKey(
        CheckinList,
        verbose_name=_("check-in list"),
        on_delete=models.CASCADE,
        related_name="devices",
    )
    name = models.CharField(
        _("name"), max_length=120, help_text=_("To tell devices apart, e.g. “Door phone 1”.")
    )
    entrance = models.CharField(
        _("entrance"),
        max_length=60,
        help_text=_("Where this device scans, e.g. “B”. Shown when a ticket is scanned again."),
    )
    token = models.CharField(_("link token"), max_length=64, unique=True, default=new_token)
    revoked = models.BooleanField(
        _("revoked"),
        default=False,
        help_text=_("A revoked device's link stops working at once; its scans are kept."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in device")
        verbose_name_plural = _("check-in devices")
        ordering = ["checkin_list", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.entrance})"


class Checkin(models.Model):
    """A ticket's check-in on a list: the earliest scan of it that reached the server."""

    checkin_list = models.ForeignKey(
        CheckinList,
        verbose_name=_("check-in list"),
        on_delete=models.CASCADE,
        related_name="checkins",
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="checkins"
    )
    device = models.ForeignKey(
        CheckinDevice,
        verbose_name=_("device"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkins",
    )
    entrance = models.CharField(_("entrance"), max_length=60, blank=True)
    scanned_at = models.DateTimeField(_("scanned at"))
    client_scan_id = models.CharField(
        _("scan id"),
        max_length=64,
        blank=True,
        help_text=_("The device's id for the scan, so a scan synced twice counts once."),
    )
    offline = models.BooleanField(_("scanned offline"), default=False)
    updated_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-scanned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin_list", "ticket"], name="weticket_checkin_once_per_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} @ {self.entrance}"
