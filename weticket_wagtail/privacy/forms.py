"""Forms of the privacy app: the statement page's admin form ("About this change" per version,
and the starter statement a new page begins with) and the public form people send data-subject
requests with."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from . import starter
from .request_models import DataSubjectRequest


class PrivacyStatementPageForm(WagtailAdminPageForm):
    """Starts every new change with an empty summary and the material flag off.

    The summary and the flag describe one change. They are stored with the revision (so a draft
    keeps them) and copied into the :class:`~weticket_wagtail.privacy.models.PolicyVersion` when
    published; once the page has no unpublished changes they belong to the past, and the form
    shows them empty again.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        page = self.instance
        if not self.is_bound and not page.pk and not page.body:
            self.offer_starter_statement(page)
        if not self.is_bound and page.pk and page.live and not page.has_unpublished_changes:
            self.initial["change_summary"] = ""
            self.initial["change_is_material"] = False

    def offer_starter_statement(self, page) -> None:
        """A new page starts as the starter statement (``privacy.starter``) in the page's
        language, or the editor's."""
        locale = page.locale if page.locale_id else None
        language = starter.starter_language(
            getattr(locale, "language_code", None), translation.get_language()
        )
        text = starter.starter_statement(language)
        page.body = text["body"]
        for name in ("title", "slug", "intro"):
            self.initial[name] = self.initial.get(name) or text[name]
        self.initial["body"] = page.body

    def clean(self):
        cleaned_data = super().clean()
        if self.data.get("action-publish"):
            left = starter.placeholders_left(
                starter.statement_texts(cleaned_data.get("intro"), cleaned_data.get("body"))
            )
            if left:
                self.add_error(
                    None,
                    _("Fill in the placeholders before publishing: %(placeholders)s")
                    % {"placeholders": ", ".join(left)},
                )
        if (
            cleaned_data.get("change_is_material")
            and not (cleaned_data.get("change_summary") or "").strip()
        ):
            self.add_error(
                "change_summary",
                _("Say what changed: everyone affected receives this summary by email."),
            )
        return cleaned_data


class DataSubjectRequestForm(forms.Form):
    """What a person asks: the type of request, their address, and what it is about.

    ``website`` is a honeypot: hidden from people (and from assistive technology), filled in
    by bots; :meth:`is_bot` tells. Every length matches the model's columns.
    """

    #: Types whose request means nothing without the details (what to correct, object to …).
    NEEDS_DETAILS = frozenset(
        {
            DataSubjectRequest.Kind.RECTIFICATION,
            DataSubjectRequest.Kind.OBJECTION,
            DataSubjectRequest.Kind.HUMAN_REVIEW,
            DataSubjectRequest.Kind.COMPLAINT,
        }
    )

    kind = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=DataSubjectRequest.Kind.choices,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_(
            "The address you used to order tickets or to sign in. We send a link there to "
            "make sure the request is yours."
        ),
    )
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    order_reference = forms.CharField(
        label=_("Order number"),
        max_length=32,
        required=False,
        help_text=_("If your request is about one order, e.g. an automatic cancellation."),
    )
    details = forms.CharField(
        label=_("Details"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What should be corrected, what you object to, which decision a person should "
            "look at, or what your complaint is."
        ),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    @staticmethod
    def kind_choices():
        return DataSubjectRequest.Kind.choices

    def is_bot(self) -> bool:
        """Whether the honeypot was filled in (before validation: a bot's form is not valid)."""
        return bool((self.data.get("website") or "").strip())

    def clean(self):
        cleaned_data = super().clean()
        kind = cleaned_data.get("kind")
        if kind in self.NEEDS_DETAILS and not (cleaned_data.get("details") or "").strip():
            self.add_error("details", _("Please tell us what your request is about."))
        return cleaned_data
