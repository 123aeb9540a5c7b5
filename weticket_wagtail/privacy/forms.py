"""The privacy statement page's admin form: the "About this change" fields per version."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


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
        if not self.is_bound and page.pk and page.live and not page.has_unpublished_changes:
            self.initial["change_summary"] = ""
            self.initial["change_is_material"] = False

    def clean(self):
        cleaned_data = super().clean()
        if (
            cleaned_data.get("change_is_material")
            and not (cleaned_data.get("change_summary") or "").strip()
        ):
            self.add_error(
                "change_summary",
                _("Say what changed: everyone affected receives this summary by email."),
            )
        return cleaned_data
