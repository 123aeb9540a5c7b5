"""The processor register and the retention schedule: what the statement's live blocks list.

The purge log (what the retention purge did) is kept here, beside the schedule it runs.
Both registers are snippets an operator keeps in the admin (Privacy → Processors,
Privacy → Retention schedule), translatable like pages. They live apart from the statement
page's module because
the page's blocks read them: the blocks sit below the page, and these models below the blocks.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import TranslatableMixin

from .categories import DataCategoriesField, RetentionCategory, category_labels
from .periods import CountedFrom, Period, PeriodUnit


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
    """How long one kind of record is kept, and why: a line of the retention schedule.

    A rule with a ``category`` is the period the retention purge runs for that category of
    the personal-data registry (without a rule, the default in ``RETENTION_SCHEDULE``); the
    period shown in the statement (``period``) is written from the same fields on save, in the
    rule's language, so what is shown is what runs. Translations share the category and
    period: saving one updates the others.
    """

    record = models.CharField(
        _("what is kept"), max_length=200, help_text=_("E.g. 'Orders and their invoices'.")
    )
    category = models.CharField(
        _("retention category"),
        max_length=32,
        choices=RetentionCategory.choices,
        blank=True,
        help_text=_(
            "The records of the personal-data registry this period applies to: the automatic "
            "clean-up runs it. Empty: shown in the statement only (e.g. web server logs)."
        ),
    )
    data_categories = DataCategoriesField(_("categories of personal data"))
    period_amount = models.PositiveIntegerField(
        _("how long"),
        null=True,
        blank=True,
        help_text=_("Empty: kept as long as it is needed for the service, never cleaned up."),
    )
    period_unit = models.CharField(
        _("unit"), max_length=8, choices=PeriodUnit.choices, default=PeriodUnit.YEARS
    )
    counted_from = models.CharField(
        _("counted from"),
        max_length=20,
        choices=CountedFrom.choices,
        default=CountedFrom.RECORD,
        help_text=_("Financial records: from the end of the financial year (Dutch fiscal duty)."),
    )
    period = models.CharField(
        _("how long, as shown"),
        max_length=200,
        editable=False,
        blank=True,
        help_text=_("Written from the period on save, in the rule's language."),
    )
    reason = models.TextField(_("why"), help_text=_("The reason or the law that requires it."))
    sort_order = models.PositiveSmallIntegerField(_("order in the statement"), default=0)

    panels = [
        FieldRowPanel([FieldPanel("record"), FieldPanel("category")]),
        FieldPanel("data_categories"),
        FieldRowPanel(
            [FieldPanel("period_amount"), FieldPanel("period_unit"), FieldPanel("counted_from")]
        ),
        FieldPanel("reason"),
        FieldPanel("sort_order"),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["sort_order", "record"]
        constraints = [
            models.UniqueConstraint(
                fields=["locale", "category"],
                condition=~models.Q(category=""),
                name="weticket_one_rule_per_category",
            )
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.period}"

    def save(self, *args, **kwargs) -> None:
        self.period = self.describe_period()
        super().save(*args, **kwargs)
        # Translations run one period: give them this one (each in its own words).
        for sibling in RetentionRule.objects.filter(translation_key=self.translation_key).exclude(
            pk=self.pk
        ):
            sibling.category = self.category
            sibling.period_amount = self.period_amount
            sibling.period_unit = self.period_unit
            sibling.counted_from = self.counted_from
            RetentionRule.objects.filter(pk=sibling.pk).update(
                category=self.category,
                period_amount=self.period_amount,
                period_unit=self.period_unit,
                counted_from=self.counted_from,
                period=sibling.describe_period(),
            )

    @property
    def retention_period(self) -> Period:
        return Period(self.period_amount, self.period_unit, self.counted_from)

    def describe_period(self) -> str:
        """The period in words, in this rule's language."""
        language = getattr(self.locale, "language_code", None) if self.locale_id else None
        with translation.override(language):
            return str(self.retention_period.describe())

    def category_labels(self) -> list[str]:
        return category_labels(self.data_categories)


class PurgeLogEntry(models.Model):
    """What one run of the retention purge did (or, dry, would do) to one category.

    Written by :func:`~weticket_wagtail.privacy.services.retention.purge`: counts per
    registration (``<model label>:<role>``), never which person. Read-only in the admin.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.UUIDField(_("run"), db_index=True)
    category = models.CharField(
        _("retention category"), max_length=32, choices=RetentionCategory.choices
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    cutoff = models.DateTimeField(_("records dated before"), null=True, blank=True)
    counts = models.JSONField(_("records per kind"), default=dict, blank=True)
    total = models.PositiveBigIntegerField(_("records"), default=0)
    held = models.PositiveBigIntegerField(
        _("kept under a hold"),
        default=0,
        help_text=_("Due, but kept: an open request, a legal hold or a restriction."),
    )
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("purge log entry")
        verbose_name_plural = _("purge log")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_category_display()}: {self.total}"
