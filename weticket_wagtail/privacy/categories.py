"""The categories of personal data and the kinds of people a privacy statement speaks about.

Shared by the personal-data registry (what a model holds), the processor register (what a
third party receives), the retention schedule and the statement's blocks.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    CONTACT = "contact", _("Contact and address details")
    EMAIL = "email", _("Email address")
    FINANCIAL = "financial", _("Financial details")
    IP_ADDRESS = "ip_address", _("IP addresses")
    DEVICE = "device", _("Browser and device type")
    LOCATION = "location", _("Location data")
    SELF_PROVIDED = "self_provided", _("Other details you give us yourself")


class Audience(models.TextChoices):
    """Whose data: the two kinds of people a ticket service processes data of."""

    VISITOR = "visitor", _("Visitors who buy tickets")
    ORGANISER = "organiser", _("Organisations that sell tickets")


def category_labels(codes) -> list[str]:
    """The labels of ``codes`` in the order of :class:`DataCategory`, unknown codes left out."""
    wanted = set(codes or ())
    return [str(label) for value, label in DataCategory.choices if value in wanted]


class DataCategoriesField(models.JSONField):
    """A list of :class:`DataCategory` values, edited as checkboxes.

    Stored as JSON so that it works on SQLite and PostgreSQL alike.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=DataCategory.choices,
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=kwargs.get("label", self.verbose_name),
            help_text=self.help_text,
        )

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        unknown = set(value or ()) - set(DataCategory.values)
        if unknown:
            raise ValidationError(
                _("Unknown categories of personal data: %(codes)s"),
                params={"codes": ", ".join(sorted(unknown))},
            )


class RetentionCategory(models.TextChoices):
    """The retention categories: every registration in the personal-data registry names one
    (``retention=``), and the retention schedule (:class:`~.processing.RetentionRule`) gives
    each its period. One list, so what the statement shows is what the purge runs."""

    ORDERS = "orders", _("Buyers' details on orders")
    TICKETS = "tickets", _("Names on tickets")
    PAYMENTS = "payments", _("Payments and refunds (their free text)")
    FISCAL_RECORDS = "fiscal_records", _("Financial records (amounts, VAT, dates)")
    OUTBOX = "outbox", _("Emails we sent")
    CAMPAIGN_RECIPIENTS = "campaign_recipients", _("Who was told of a policy change")
    CONSENT = "consent", _("Recorded cookie choices")
    REQUESTS = "requests", _("Requests about personal data and their audit trail")
    ORGANISATION_CONTACTS = "organisation_contacts", _("Organisations' contact addresses")
    STAFF_ACCOUNTS = "staff_accounts", _("Admin accounts of organisers")
    FORM_SUBMISSIONS = "form_submissions", _("Submitted forms")
    STATEMENT_HISTORY = "statement_history", _("Who published which statement version")
    WAITING_LIST = "waiting_list", _("People on a waiting list")
