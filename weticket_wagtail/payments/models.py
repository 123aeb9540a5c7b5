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
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.mollie_id or f"refund {self.pk}"

    @property
    def idempotency_key(self) -> str:
        return f"weticket-refund-{self.pk}"
