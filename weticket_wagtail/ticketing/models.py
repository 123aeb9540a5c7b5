"""Organisations (the tenants), their events and the ticket types they sell."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable
from wagtail.search import index

from weticket_wagtail.fields import EncryptedTextField

from .validators import parse_origins, validate_hex_colour, validate_origins

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
        _("slug"), max_length=100, unique=True, help_text=_("Used in ticket page and embed URLs.")
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
    collect_phone = models.BooleanField(_("ask buyers for a phone number"), default=False)
    collect_address = models.BooleanField(_("ask buyers for their address"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("contact_email")],
            heading=_("Organisation"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("logo"),
                FieldRowPanel([FieldPanel("primary_colour"), FieldPanel("accent_colour")]),
                FieldPanel("font"),
            ],
            heading=_("Branding"),
        ),
        MultiFieldPanel(
            [FieldPanel("collect_phone"), FieldPanel("collect_address")],
            heading=_("Checkout"),
        ),
        MultiFieldPanel(
            [FieldPanel("site"), FieldPanel("embed_origins"), FieldPanel("mollie_api_key")],
            heading=_("Integration"),
        ),
        InlinePanel("memberships", heading=_("Members"), label=_("Member")),
    ]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def allowed_origins(self) -> list[str]:
        return parse_origins(self.embed_origins)

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

    panels = [FieldPanel("user")]

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
    DRAFT = "draft", _("Not published")
    NOT_STARTED = "not_started", _("Sale not started")
    ON_SALE = "on_sale", _("On sale")
    SALE_ENDED = "sale_ended", _("Sale ended")
    PAST = "past", _("Event is over")
    NO_TICKETS = "no_tickets", _("No tickets")


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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    panels = [
        FieldPanel("organisation"),
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("venue"), FieldPanel("address")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("image"),
        FieldPanel("is_published"),
        InlinePanel("ticket_types", heading=_("Ticket types"), label=_("Ticket type")),
    ]

    search_fields = [
        index.SearchField("title"),
        index.SearchField("venue"),
        index.AutocompleteField("title"),
        index.FilterField("organisation"),
        index.FilterField("is_published"),
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

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})

    def sale_state(self, now=None) -> str:
        """Where the event is in its life, derived from its ticket types' sale windows."""
        now = now or timezone.now()
        if not self.is_published:
            return SaleState.DRAFT
        if self.ends_at and self.ends_at <= now:
            return SaleState.PAST
        states = {tt.sale_state(now) for tt in self.ticket_types.all() if tt.is_active}
        if not states:
            return SaleState.NO_TICKETS
        for state in (SaleState.ON_SALE, SaleState.NOT_STARTED):
            if state in states:
                return state
        return SaleState.SALE_ENDED

    def get_sale_state_display(self) -> str:
        return SaleState(self.sale_state()).label


class TicketType(Orderable):
    """A kind of admission to an event, with its price and how many there are."""

    event = ParentalKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="ticket_types"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    price = models.DecimalField(
        _("price (EUR)"),
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

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("is_active")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("price"), FieldPanel("vat_rate"), FieldPanel("capacity")]),
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
        ]

    def __str__(self) -> str:
        return f"{self.event} – {self.name}" if self.event_id else self.name

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
