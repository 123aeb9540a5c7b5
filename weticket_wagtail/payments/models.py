"""Payments and refunds at Mollie. We keep Mollie's ids, statuses, methods and amounts only:
never card or bank details (Mollie is the source of truth)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Not yet at Mollie")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")

    FINAL = frozenset({"paid", "failed", "canceled", "expired"})

    order = models.ForeignKey(
        "weticket_ticketing.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    mollie_id = models.CharField(
        _("Mollie payment id"), max_length=64, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    method = models.CharField(_("method"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(
        _("refunded"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    checkout_url = models.URLField(_("checkout URL"), max_length=500, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    confirmed_order = models.BooleanField(
        _("confirmed the order"),
        default=False,
        help_text=_("This payment's 'paid' is the one that confirmed the order."),
    )
    checked_at = models.DateTimeField(
        _("checked at"),
        null=True,
        blank=True,
        help_text=_("When we last asked the payment provider about this payment."),
    )
    apply_failures = models.PositiveSmallIntegerField(
        _("failed attempts to apply"),
        default=0,
        help_text=_(
            "How often applying the provider's status to the order failed with an unexpected "
            "error. After a few, a paid payment that cannot confirm its order is refunded."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.mollie_id or f"payment {self.pk}"

    @property
    def idempotency_key(self) -> str:
        """Derived from our own id: a retried create can never make a second Mollie payment."""
        return f"weticket-payment-{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class Refund(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Not yet at Mollie")
        QUEUED = "queued", _("Queued")
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    class Origin(models.TextChoices):
        """Who asked for the refund."""

        STAFF = "staff", _("Staff")
        AUTOMATIC = "automatic", _("Automatic (tickets could not be delivered)")
        ERASURE = "erasure", _("Erasure (tickets of a person whose data was erased)")

    #: Statuses of refunds that may still move money (everything but failed and canceled).
    ALIVE = frozenset({"created", "queued", "pending", "processing", "refunded"})

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    mollie_id = models.CharField(
        _("Mollie refund id"), max_length=64, unique=True, null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    origin = models.CharField(
        _("asked by"),
        max_length=16,
        choices=Origin.choices,
        default=Origin.STAFF,
        help_text=_(
            "Staff, or automatic: paid after the tickets were gone, paid twice, or the order "
            "could not be confirmed."
        ),
    )
    reason = models.CharField(
        _("reason"),
        max_length=255,
        blank=True,
        help_text=_("Typed by the staff member; the payment provider shows it to the buyer."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tickets = models.ManyToManyField(
        "weticket_ticketing.Ticket",
        verbose_name=_("tickets"),
        blank=True,
        related_name="refunds",
        help_text=_(
            "The tickets this refund pays back (refunded when it was made); none for an amount "
            "refunded as a goodwill gesture."
        ),
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0, help_text=_("How often the refund was sent to the provider.")
    )
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "When the refund is sent again if the provider has not accepted it yet; empty once "
            "accepted or refused."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.mollie_id or f"refund {self.pk}"

    @property
    def idempotency_key(self) -> str:
        """Derived from our own id: every attempt of this refund refunds the buyer once."""
        return f"weticket-refund-{self.pk}"

    @property
    def is_owed(self) -> bool:
        """Saved, but the provider has not accepted it yet (it is being sent, or will be)."""
        return self.status == self.Status.CREATED and not self.mollie_id
