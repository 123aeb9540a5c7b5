"""People waiting for tickets of a sold-out ticket type, and the offers made to them."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weticket_wagtail.ticketing.models import Event, Reservation, TicketType


def new_token() -> str:
    return secrets.token_urlsafe(32)


class WaitingListEntry(models.Model):
    """One person (an email address) waiting for ``quantity`` tickets of one ticket type.

    The life of an entry: ``unconfirmed`` (the address was given; a confirmation link was
    emailed) → ``waiting`` (confirmed; in line, by ``position``) → ``offered`` (tickets are held
    for them in ``reservation`` until ``offer_expires_at``) → ``bought`` or ``expired``. Any
    time before buying they may ``leave``. An entry is offered tickets at most once: no state
    leads back to ``waiting``.
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Not confirmed yet")
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered tickets")
        BOUGHT = "bought", _("Bought")
        EXPIRED = "expired", _("Offer expired")
        LEFT = "left", _("Left the list")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="waiting_list"
    )
    ticket_type = models.ForeignKey(
        TicketType,
        verbose_name=_("ticket type"),
        on_delete=models.CASCADE,
        related_name="waiting_list",
    )
    email = models.EmailField(_("email address"), max_length=254)
    quantity = models.PositiveSmallIntegerField(_("number of tickets"), default=1)
    language = models.CharField(_("language"), max_length=12, blank=True, default="")
    consented_at = models.DateTimeField(
        _("consent to be contacted given at"),
        help_text=_("When the person ticked the box agreeing to be emailed about tickets."),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    position = models.PositiveIntegerField(
        _("position"),
        default=0,
        db_index=True,
        help_text=_("Lower numbers are offered tickets first."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UNCONFIRMED
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    reservation = models.OneToOneField(
        Reservation,
        verbose_name=_("reservation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waiting_list_entry",
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["event", "ticket_type", "position", "pk"]
        indexes = [
            models.Index(fields=["ticket_type", "status", "position"], name="weticket_wl_line"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.ticket_type})"

    @property
    def object_ref(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"
