""" "About this change" on the edit forms of the registers the statement shows.

The processor register, the retention schedule and the cookie list appear live in the privacy
statement, so saving one of their rows may change the statement. Their admin forms ask what
changed and whether it affects personal data already collected, and record the new versions
in the same transaction as the edit (:mod:`.services.register_changes`).
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface

from .services.register_changes import record_register_change

SUMMARY_FIELD = "statement_change_summary"
MATERIAL_FIELD = "statement_change_is_material"


class StatementChangeFormMixin(forms.Form):
    """Adds the two questions and records the statement's new versions on save."""

    statement_change_summary = forms.CharField(
        label=_("What changed in the privacy statement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Shown in the statement's version history and, for a material change, in the "
            "email. Empty: a summary naming what you changed."
        ),
    )
    statement_change_is_material = forms.BooleanField(
        label=_("This change affects personal data already collected"),
        required=False,
        help_text=_(
            "Saving then emails everyone whose personal data we hold (buyers and organisation "
            "staff), once each, in their language. A save that changes nothing the statement "
            "shows records no version and sends nothing."
        ),
    )

    def save(self, commit: bool = True):
        if not commit:
            return super().save(commit=False)
        with transaction.atomic():
            instance = super().save(commit=True)
            self.recorded_versions = record_register_change(
                summary=self.cleaned_data.get(SUMMARY_FIELD) or "",
                material=bool(self.cleaned_data.get(MATERIAL_FIELD)),
                user=getattr(self, "for_user", None),
            )
        return instance


def change_panel() -> MultiFieldPanel:
    return MultiFieldPanel(
        [FieldPanel(SUMMARY_FIELD), FieldPanel(MATERIAL_FIELD)],
        heading=_("About this change to the privacy statement"),
    )


def statement_change_form(base: type | None) -> type:
    """``base`` (a Wagtail admin model form class) with the two questions added."""
    base = base or WagtailAdminModelForm
    if issubclass(base, StatementChangeFormMixin):
        return base
    return type(f"{base.__name__}WithStatementChange", (StatementChangeFormMixin, base), {})


def with_change_panel(handler, model=None):
    """``handler`` (an unbound ``ObjectList`` or ``TabbedInterface``, or a list of panels) with
    the "About this change" panel added at the end, and its form class (or ``model``'s
    ``base_form_class``) given the two questions."""
    if isinstance(handler, (list, tuple)):
        base = getattr(model, "base_form_class", None)
        return ObjectList([*handler, change_panel()], base_form_class=statement_change_form(base))
    base = handler.base_form_class or getattr(model, "base_form_class", None)
    form_class = statement_change_form(base)
    if isinstance(handler, TabbedInterface):
        tab = ObjectList([change_panel()], heading=_("About this change"))
        return TabbedInterface([*handler.children, tab], base_form_class=form_class)
    return ObjectList([*handler.children, change_panel()], base_form_class=form_class)
