"""The processor register and the retention schedule: what the statement's live blocks list.

Both are snippets an operator keeps in the admin (Privacy → Processors, Privacy → Retention
schedule), translatable like pages. They live apart from the statement page's module because
the page's blocks read them: the blocks sit below the page, and these models below the blocks.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import TranslatableMixin

from .categories import DataCategoriesField, category_labels


class Processor(TranslatableMixin, models.Model):
    """A third party we share personal data with: the processor register of the statement."""

    class Role(models.TextChoices):
        BOOKKEEPER = "bookkeeper", _("Bookkeeper")
        SOFTWARE_SUPPLIER = "software_supplier", _("Software supplier")
        WEBSITE_MANAGER = "website_manager", _("Website manager")
        PAYMENT_PROVIDER = "payment_provider", _("Payment provider")
        HOSTING_PROVIDER = "hosting_provider", _("Hosting provider")
        EMAIL_PROVIDER = "email_provider", _("Email provider")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    purpose = models.TextField(
        _("purpose"), help_text=_("What they do with the data, in a sentence or two.")
    )
    data_categories = DataCategoriesField(
        _("categories of personal data"), help_text=_("What they receive.")
    )
    agreement_date = models.DateField(
        _("processing agreement signed on"),
        null=True,
        blank=True,
        help_text=_("Empty while there is no agreement yet: the statement then says so."),
    )
    country = models.CharField(
        _("country"),
        max_length=100,
        default="Nederland",
        help_text=_("Where they process the data."),
    )
    website = models.URLField(_("website"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order in the statement"), default=0)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("role")]),
        FieldPanel("purpose"),
        FieldPanel("data_categories"),
        FieldRowPanel([FieldPanel("agreement_date"), FieldPanel("country")]),
        FieldRowPanel([FieldPanel("website"), FieldPanel("sort_order")]),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def category_labels(self) -> list[str]:
        return category_labels(self.data_categories)


class RetentionRule(TranslatableMixin, models.Model):
    """How long one kind of record is kept, and why: a line of the retention schedule."""

    record = models.CharField(
        _("what is kept"), max_length=200, help_text=_("E.g. 'Orders and their invoices'.")
    )
    data_categories = DataCategoriesField(_("categories of personal data"))
    period = models.CharField(
        _("how long"), max_length=200, help_text=_("As people should read it, e.g. '7 years'.")
    )
    period_days = models.PositiveIntegerField(
        _("how long, in days"),
        null=True,
        blank=True,
        help_text=_("For the automatic clean-up. Empty: kept as long as the relationship lasts."),
    )
    reason = models.TextField(_("why"), help_text=_("The reason or the law that requires it."))
    registered_model = models.CharField(
        _("records"),
        max_length=100,
        blank=True,
        help_text=_(
            "The model this rule applies to, as registered with the personal-data registry, "
            "e.g. weticket_ticketing.order. Used by the automatic clean-up."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order in the statement"), default=0)

    panels = [
        FieldPanel("record"),
        FieldPanel("data_categories"),
        FieldRowPanel([FieldPanel("period"), FieldPanel("period_days")]),
        FieldPanel("reason"),
        FieldRowPanel([FieldPanel("registered_model"), FieldPanel("sort_order")]),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["sort_order", "record"]

    def __str__(self) -> str:
        return f"{self.record}: {self.period}"

    def category_labels(self) -> list[str]:
        return category_labels(self.data_categories)
