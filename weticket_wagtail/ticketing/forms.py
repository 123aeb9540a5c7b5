"""Admin forms for organisations and events: tenant-aware choices and cross-field rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from weticket_wagtail.permissions import is_active_superuser

from .permissions import organisation_ids_for


class OrganisationAdminForm(WagtailAdminModelForm):
    """Never shows the stored Mollie key; an empty field keeps it."""

    mollie_api_key = forms.CharField(
        label=_("Mollie API key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted, never shown again. Leave empty to keep the current key."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.has_mollie_key:
            self.fields["mollie_api_key"].widget.attrs["placeholder"] = _(
                "A key is stored (ending in …%(tail)s)"
            ) % {"tail": self.instance.mollie_api_key[-4:]}
        if not is_active_superuser(self.for_user):
            # Members run their organisation; who belongs to it is the platform's decision.
            for name in ("slug", "site"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean_mollie_api_key(self) -> str:
        value = self.cleaned_data.get("mollie_api_key", "")
        if not value:
            return self.instance.mollie_api_key if self.instance.pk else ""
        if not (value.startswith("test_") or value.startswith("live_")) or len(value) < 30:
            raise forms.ValidationError(
                _("A Mollie API key starts with test_ or live_ and is at least 30 characters.")
            )
        return value


class EventAdminForm(WagtailAdminModelForm):
    """Limits the organisation choice to the user's own; checks ticket types against the event.

    An empty slug is made from the title (the admin's script usually fills it in already)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("organisation")
        if field is not None and not is_active_superuser(self.for_user):
            field.queryset = field.queryset.filter(pk__in=organisation_ids_for(self.for_user))
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Part of the shop's URL. Empty: made from the title.")

    def clean(self):
        cleaned_data = super().clean()
        organisation, title = cleaned_data.get("organisation"), cleaned_data.get("title")
        if "slug" in self.fields and not cleaned_data.get("slug") and organisation and title:
            from .services.slugs import unique_event_slug

            cleaned_data["slug"] = unique_event_slug(
                organisation.pk, title, exclude_pk=self.instance.pk
            )
        return cleaned_data

    def is_valid(self) -> bool:
        valid = super().is_valid()
        formset = self.formsets.get("ticket_types") if hasattr(self, "formsets") else None
        ends_at = self.cleaned_data.get("ends_at") if hasattr(self, "cleaned_data") else None
        if not valid or formset is None or ends_at is None:
            return valid
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("sale_starts_at") and data["sale_starts_at"] >= ends_at:
                form.add_error("sale_starts_at", _("The sale must start before the event ends."))
                valid = False
            if data.get("sale_ends_at") and data["sale_ends_at"] > ends_at:
                form.add_error("sale_ends_at", _("The sale cannot end after the event ends."))
                valid = False
        return valid
