"""The privacy statement page's admin form: the "About this change" fields per version, and
the starter statement a new page begins with."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from . import starter


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
