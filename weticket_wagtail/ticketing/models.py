"""Organisations (the tenants), their events and the ticket types they sell."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
)
from wagtail.models import Orderable
from wagtail.search import index

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.fields import EncryptedTextField
from weticket_wagtail.money import site_currency

from .validators import (
    normalise_origin,
    parse_origins,
    validate_hex_colour,
    validate_not_reserved_slug,
    validate_origins,
)

FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "humanist": '"Gill Sans", "Trebuchet MS", Calibri, sans-serif',
    "serif": 'Georgia, Cambria, "Times New Roman", serif',
    "rounded": '"Nunito", "Varela Round", system-ui, sans-serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, monospace',
}


class Organisation(ClusterableModel):
    """An organisation that sells tickets: the tenant every other record belongs to."""

    class Font(models.TextChoices):
        SYSTEM = "system", _("System (neutral sans-serif)")
        HUMANIST = "humanist", _("Humanist sans-serif")
        SERIF = "serif", _("Serif")
        ROUNDED = "rounded", _("Rounded")
        MONO = "mono", _("Monospace")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        validators=[validate_not_reserved_slug],
        help_text=_("Used in ticket page and embed URLs."),
    )
    contact_email = models.EmailField(
        _("contact email"), help_text=_("Where buyers and we can reach the organisation.")
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1d4ed8",
        validators=[validate_hex_colour],
        help_text=_("Hex colour for buttons and headings, e.g. #1d4ed8."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default="#f59e0b",
        validators=[validate_hex_colour],
        help_text=_("Hex colour for highlights, e.g. #f59e0b."),
    )
    font = models.CharField(_("font"), max_length=20, choices=Font.choices, default=Font.SYSTEM)
    embed_origins = models.TextField(
        _("allowed embedding origins"),
        blank=True,
        validators=[validate_origins],
        help_text=_(
            "Websites allowed to embed this organisation's ticket shop, one per line, "
            "e.g. https://www.example.org"
        ),
    )
    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The Wagtail site this organisation's ticket pages live on, if any."),
    )
    mollie_api_key = EncryptedTextField(
        _("Mollie API key"),
        blank=True,
        help_text=_("Stored encrypted. Leave empty to keep the current key."),
    )
    ticket_signing_key = EncryptedTextField(
        _("ticket signing key"),
        blank=True,
        editable=False,
        help_text=_("Ed25519 private key that signs ticket QR codes. Stored encrypted."),
    )
    ticket_verify_key = models.CharField(
        _("ticket verification key"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Public key a scanner uses to verify ticket QR codes offline."),
    )
    editors_group = models.OneToOneField(
        "auth.Group",
        verbose_name=_("page editors' group"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Made with the organisation and holding its members: Wagtail gives this group "
            "permission to edit the organisation's own pages."
        ),
    )
    collect_phone = models.BooleanField(_("ask buyers for a phone number"), default=False)
    collect_address = models.BooleanField(_("ask buyers for their address"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.ticket_signing_key:
            from .services.ticket_signing import generate_signing_keypair

            self.ticket_signing_key, self.ticket_verify_key = generate_signing_keypair()
        super().save(*args, **kwargs)

    @property
    def allowed_origins(self) -> list[str]:
        """The valid entries of ``embed_origins``, normalised, each once (see the validator;
        a row saved before it was as strict keeps its bad entries out of every header)."""
        origins = (normalise_origin(entry) for entry in parse_origins(self.embed_origins))
        return list(dict.fromkeys(origin for origin in origins if origin))

    @property
    def invalid_origins(self) -> list[str]:
        """Entries of ``embed_origins`` that are not origins (only rows saved around the
        validator have any; a system check names them)."""
        return [e for e in parse_origins(self.embed_origins) if normalise_origin(e) is None]

    @property
    def font_stack(self) -> str:
        return FONT_STACKS.get(self.font, FONT_STACKS["system"])

    @property
    def has_mollie_key(self) -> bool:
        return bool(self.mollie_api_key)


class OrganisationMembership(models.Model):
    """Gives a user access to one organisation's records in the Wagtail admin."""

    organisation = ParentalKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="weticket_memberships",
    )
    can_manage_team = models.BooleanField(
        _("manages the team"),
        default=False,
        help_text=_("May add and remove this organisation's members."),
    )

    panels = [FieldRowPanel([FieldPanel("user"), FieldPanel("can_manage_team")])]

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="weticket_unique_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class SaleState(models.TextChoices):
    """Where a ticket type's sale is: its sale window (``TicketType.sale_state``), or sold out."""

    NOT_STARTED = "not_started", _("Sale not started")
    ON_SALE = "on_sale", _("On sale")
    SALE_ENDED = "sale_ended", _("Sale ended")
    #: A ticket type on sale with nothing left (the shop's rows; a sale window alone never is).
    SOLD_OUT = "sold_out", _("Sold out")


class Event(index.Indexed, ClusterableModel):
    """Something people buy tickets for."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    venue = models.CharField(_("venue"), max_length=255)
    address = models.CharField(
        _("address"), max_length=255, blank=True, help_text=_("Street, postcode and city.")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published events can be sold.")
    )
    is_archived = models.BooleanField(
        _("archived"),
        default=False,
        help_text=_(
            "An archived event is not sold, not published and hidden from shops, lists and "
            "choosers; its orders stay. For events that cannot be deleted because they have "
            "orders."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    search_fields = [
        index.SearchField("title"),
        index.SearchField("venue"),
        index.AutocompleteField("title"),
        index.FilterField("organisation"),
        index.FilterField("is_published"),
        index.FilterField("is_archived"),
        index.FilterField("starts_at"),
    ]

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="weticket_unique_event_slug"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.is_archived:
            self.is_published = False  # every sales path checks is_published
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "is_published"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})


#: "Price (EUR)" in the editor, in whatever currency the site sells (the field itself says
#: "price", so its migrations do not depend on the setting).
PRICE_HEADING = format_lazy("{} ({})", _("Price"), lazy(site_currency, str)())


def order_maximum(max_per_order: int) -> int:
    """A ticket type's maximum per order, capped by ``WETICKET["MAX_TICKETS_PER_ORDER"]``."""
    cap = int(weticket_settings.MAX_TICKETS_PER_ORDER or 0)
    return min(max_per_order, cap) if cap > 0 else max_per_order


class TicketType(Orderable):
    """A kind of admission to an event, with its price and how many there are."""

    event = ParentalKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="ticket_types"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    price = models.DecimalField(
        _("price"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message=_("The price cannot be negative."))],
        help_text=_("Including VAT. 0 for free tickets."),
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("9.00"),
        validators=[
            MinValueValidator(Decimal("0"), message=_("The VAT rate cannot be negative.")),
            MaxValueValidator(Decimal("100"), message=_("The VAT rate cannot exceed 100%%.")),
        ],
        help_text=_("9% is the Dutch rate for most cultural events."),
    )
    capacity = models.IntegerField(
        _("capacity"),
        validators=[MinValueValidator(0, message=_("The capacity cannot be negative."))],
        help_text=_("How many tickets of this type can be sold in total."),
    )
    sale_starts_at = models.DateTimeField(
        _("sale starts at"), null=True, blank=True, help_text=_("Empty: on sale at once.")
    )
    sale_ends_at = models.DateTimeField(
        _("sale ends at"), null=True, blank=True, help_text=_("Empty: until the event starts.")
    )
    min_per_order = models.PositiveSmallIntegerField(
        _("minimum per order"),
        default=1,
        validators=[MinValueValidator(1, message=_("The minimum per order is at least 1."))],
    )
    max_per_order = models.PositiveSmallIntegerField(
        _("maximum per order"),
        default=10,
        validators=[MinValueValidator(1, message=_("The maximum per order is at least 1."))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    requires_voucher = models.BooleanField(
        _("only with a voucher"),
        default=False,
        help_text=_(
            "Hidden in the shop and sold only to buyers who enter a voucher that unlocks it."
        ),
    )
    is_archived = models.BooleanField(
        _("archived"),
        default=False,
        help_text=_(
            "Archived ticket types are not sold and not shown anywhere; their orders stay. "
            "For ticket types that cannot be removed because they have orders."
        ),
    )
    sold_count = models.PositiveIntegerField(
        _("sold"),
        default=0,
        editable=False,
        help_text=_("Tickets of paid orders. Changed only under a row lock by the order service."),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("is_active"), FieldPanel("is_archived")]),
        FieldPanel("requires_voucher"),
        FieldPanel("description"),
        FieldRowPanel(
            [
                FieldPanel("price", heading=PRICE_HEADING),
                FieldPanel("vat_rate"),
                FieldPanel("capacity"),
            ]
        ),
        FieldRowPanel([FieldPanel("sale_starts_at"), FieldPanel("sale_ends_at")]),
        FieldRowPanel([FieldPanel("min_per_order"), FieldPanel("max_per_order")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=0), name="weticket_capacity_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="weticket_price_not_negative"
            ),
            # The database itself refuses an oversold ticket type, whatever the code does.
            models.CheckConstraint(
                condition=models.Q(sold_count__lte=models.F("capacity")),
                name="weticket_sold_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} – {self.name}" if self.event_id else self.name

    @property
    def order_maximum(self) -> int:
        """The most of this type one order may hold: its own maximum, capped by
        ``WETICKET["MAX_TICKETS_PER_ORDER"]`` (0: no cap)."""
        return order_maximum(self.max_per_order)

    def save(self, *args, **kwargs) -> None:
        if self.is_archived:
            self.is_active = False  # every sales path checks is_active
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "is_active"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.min_per_order and self.max_per_order and self.min_per_order > self.max_per_order:
            errors.setdefault("max_per_order", []).append(
                _("The maximum per order must be at least the minimum per order.")
            )
        if self.sale_starts_at and self.sale_ends_at and self.sale_ends_at <= self.sale_starts_at:
            errors.setdefault("sale_ends_at", []).append(_("The sale must end after it starts."))
        event = self._event_for_validation()
        if event is not None and event.ends_at:
            if self.sale_starts_at and self.sale_starts_at >= event.ends_at:
                errors.setdefault("sale_starts_at", []).append(
                    _("The sale must start before the event ends.")
                )
            if self.sale_ends_at and self.sale_ends_at > event.ends_at:
                errors.setdefault("sale_ends_at", []).append(
                    _("The sale cannot end after the event ends.")
                )
        if errors:
            raise ValidationError(errors)

    def _event_for_validation(self) -> Event | None:
        try:
            return self.event
        except Event.DoesNotExist:
            return None

    def sale_state(self, now=None) -> str:
        """Whether this ticket type is on sale now, judged by its window alone."""
        now = now or timezone.now()
        if self.sale_starts_at and now < self.sale_starts_at:
            return SaleState.NOT_STARTED
        end = self.sale_ends_at or (self.event.starts_at if self.event_id else None)
        if end and now >= end:
            return SaleState.SALE_ENDED
        return SaleState.ON_SALE


def new_token() -> str:
    """An unguessable token for buyer-facing URLs (192 bits)."""
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    """A short order reference people can read out on the phone (no 0/O/1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def new_ticket_code() -> str:
    """A ticket code: 16 characters from a 32-letter alphabet (80 bits), grouped by four."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Reservation(models.Model):
    """Tickets held for one buyer for a short time, so nobody else can take them meanwhile."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Held")
        ORDERED = "ordered", _("Ordered, awaiting payment")
        CONVERTED = "converted", _("Sold")
        RELEASED = "released", _("Released")

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="reservations"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    # Keyed hashes (HMAC with SECRET_KEY) of who asked for the hold, for the per-client hold
    # limits (services/hold_limits.py); blanked when the limits no longer look back this far.
    browser_hash = models.CharField(
        _("browser (keyed hash)"), max_length=32, blank=True, default="", editable=False
    )
    address_hash = models.CharField(
        _("network address (keyed hash)"), max_length=32, blank=True, default="", editable=False
    )
    voucher = models.ForeignKey(
        "Voucher",
        verbose_name=_("voucher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        indexes = [
            models.Index(fields=["event", "browser_hash"], name="weticket_holds_by_browser"),
            models.Index(fields=["event", "address_hash"], name="weticket_holds_by_address"),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return (
            self.status in (self.Status.ACTIVE, self.Status.ORDERED)
            and self.expires_at > timezone.now()
        )


class ReservationLine(models.Model):
    """How many of one ticket type a reservation holds.

    ``expires_at`` and ``is_live`` are copied from the reservation so that availability is one
    indexed aggregate over this table: a line counts while it is live and not expired. An expired
    line stops counting at its expiry, before any clean-up runs.
    """

    reservation = models.ForeignKey(
        Reservation, verbose_name=_("reservation"), on_delete=models.CASCADE, related_name="lines"
    )
    ticket_type = models.ForeignKey(
        TicketType,
        verbose_name=_("ticket type"),
        on_delete=models.PROTECT,
        related_name="reservation_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    expires_at = models.DateTimeField(_("expires at"))
    is_live = models.BooleanField(_("live"), default=True)
    # Set on the lines a voucher discounts: each ticket of such a line is one use while live.
    voucher = models.ForeignKey(
        "Voucher",
        verbose_name=_("voucher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reservation_lines",
    )

    class Meta:
        verbose_name = _("reservation line")
        verbose_name_plural = _("reservation lines")
        indexes = [
            models.Index(
                fields=["ticket_type", "expires_at"],
                condition=models.Q(is_live=True),
                name="weticket_live_holds",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.ticket_type.name}"


class Order(models.Model):
    """What a buyer ordered. Holds only the buyer's contact details, never payment details."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PAYMENT_FAILED = "payment_failed", _("Payment not completed")
        CANCELED = "canceled", _("Canceled")
        REFUNDED = "refunded", _("Refunded")

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    reference = models.CharField(
        _("order number"), max_length=16, unique=True, default=new_reference
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="orders"
    )
    reservation = models.OneToOneField(
        Reservation,
        verbose_name=_("reservation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    buyer_name = models.CharField(_("name"), max_length=200)
    buyer_email = models.EmailField(_("email"), db_index=True)
    buyer_phone = models.CharField(_("phone"), max_length=40, blank=True)
    buyer_address = models.TextField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="nl")
    policy_version = models.ForeignKey(
        "weticket_privacy.PolicyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("privacy statement version"),
    )
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(
        _("refunded"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default=site_currency)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    anonymised_at = models.DateTimeField(
        _("personal data removed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the buyer's personal data was erased (on request or at the end of "
            "its retention period); the amounts stay for the books."
        ),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        indexes = [
            # Finding one person's orders by address (export, erasure): the registry compares
            # addresses trimmed and lower-cased, and this index answers exactly that.
            models.Index(Lower(Trim("buyer_email")), name="weticket_order_subject_email"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.buyer_name}"

    @property
    def is_free(self) -> bool:
        return self.total == 0

    @property
    def can_be_paid(self) -> bool:
        """Whether the buyer may (still, or again) pay: awaiting payment or after a failed
        attempt, and not free."""
        return self.status in (self.Status.PENDING, self.Status.PAYMENT_FAILED) and not self.is_free

    @property
    def vat_total(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines.all()), Decimal("0"))

    @property
    def total_excluding_vat(self) -> Decimal:
        return self.total - self.vat_total

    @property
    def object_ref(self) -> str:
        """How the outbox and logs refer to this order without knowing the model."""
        return f"{self._meta.label_lower}:{self.pk}"


class OrderLine(models.Model):
    """One ticket type in an order, with the price and VAT as they were when ordered."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    ticket_type = models.ForeignKey(
        TicketType, verbose_name=_("ticket type"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    # The voucher as it was when ordered: later edits to the voucher never change this order.
    list_price = models.DecimalField(
        _("price before discount"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    voucher = models.ForeignKey(
        "Voucher",
        verbose_name=_("voucher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    voucher_code = models.CharField(_("voucher code"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def list_total(self) -> Decimal:
        """The line at the price before any discount (``total`` plus ``discount``)."""
        return (self.unit_price if self.list_price is None else self.list_price) * self.quantity

    @property
    def unit_discount(self) -> Decimal:
        """How much less than the list price one ticket of this line cost (0 without voucher)."""
        if self.list_price is None:
            return Decimal("0")
        return self.list_price - self.unit_price

    @property
    def discount(self) -> Decimal:
        """The discount on the whole line."""
        return self.unit_discount * self.quantity

    @property
    def vat_amount(self) -> Decimal:
        """VAT included in the line total (prices include VAT), rounded to cents."""
        vat = self.total * self.vat_rate / (Decimal("100") + self.vat_rate)
        return vat.quantize(Decimal("0.01"))


class Ticket(models.Model):
    """One admission. Its code is printed and signed into the QR code.

    Its ``status`` says whether it still admits someone: a refunded or cancelled ticket's code
    is refused at the door (``services.tickets.check_ticket``). Status changes are
    compare-and-set (``filter(status=VALID).update(...)``), so two staff members refunding the
    same ticket at once refund it once.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="tickets"
    )
    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="tickets"
    )
    code = models.CharField(_("code"), max_length=32, unique=True, default=new_ticket_code)
    holder_name = models.CharField(_("holder"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.VALID,
        help_text=_("Only valid tickets admit someone; refunded and cancelled ones are refused."),
    )
    status_changed_at = models.DateTimeField(
        _("status changed at"), null=True, blank=True, help_text=_("Empty while never changed.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID


def normalise_voucher_code(code: str) -> str:
    """Codes are compared without surrounding spaces and case: ``summer-10`` is ``SUMMER-10``."""
    return (code or "").strip().upper()


class Voucher(models.Model):
    """A code that gives a discount, or unlocks hidden ticket types, a limited number of times.

    Each ticket bought with the code is one use; a use counts while its hold is live and once
    its order is paid (a refunded or canceled order gives its uses back).
    """

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed amount off each ticket")
        PERCENTAGE = "percentage", _("Percentage off each ticket")
        SET_PRICE = "set_price", _("Set price for each ticket")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="vouchers",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="vouchers",
        help_text=_("Empty: valid for every event of the organisation."),
    )
    code = models.CharField(
        _("code"),
        max_length=64,
        help_text=_("What buyers type in the shop. Letters are not case-sensitive."),
    )
    kind = models.CharField(
        _("discount"), max_length=16, choices=Kind.choices, default=Kind.PERCENTAGE
    )
    value = models.DecimalField(
        _("value"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"), message=_("The value cannot be negative."))],
        help_text=_("An amount (fixed amount, set price) or a percentage (0 to 100)."),
    )
    ticket_types = models.ManyToManyField(
        TicketType,
        verbose_name=_("ticket types"),
        blank=True,
        related_name="vouchers",
        help_text=_("Empty: every ticket type."),
    )
    unlocks_hidden = models.BooleanField(
        _("unlocks hidden ticket types"),
        default=False,
        help_text=_("Buyers with this code also see the ticket types sold only with a voucher."),
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("maximum uses"),
        default=1,
        validators=[MinValueValidator(1, message=_("A voucher can be used at least once."))],
        help_text=_("How many tickets may be bought with this code in total."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    tag = models.CharField(
        _("tag"),
        max_length=100,
        blank=True,
        help_text=_("To find codes made together, e.g. “sponsors”. No personal data here."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-created_at", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="weticket_voucher_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = normalise_voucher_code(self.code)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        self.code = normalise_voucher_code(self.code)
        if self.kind == self.Kind.PERCENTAGE and self.value is not None and self.value > 100:
            errors.setdefault("value", []).append(_("A percentage cannot exceed 100."))
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors.setdefault("valid_until", []).append(
                _("The end of the validity must be after its start.")
            )
        if (
            self.event_id
            and self.organisation_id
            and self.event.organisation_id != self.organisation_id
        ):
            errors.setdefault("event", []).append(_("Choose an event of this organisation."))
        if (
            self.organisation_id
            and self.code
            and Voucher.objects.filter(organisation_id=self.organisation_id, code=self.code)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors.setdefault("code", []).append(_("This organisation already has this code."))
        if errors:
            raise ValidationError(errors)
