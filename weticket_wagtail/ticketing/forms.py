"""Admin forms for organisations and events: tenant-aware choices and cross-field rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from weticket_wagtail.permissions import is_active_superuser

from .permissions import can_manage_team, organisation_ids_for
from .services.archiving import forget_holds_that_are_over, ticket_type_removal_blocker


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
            # Members run their organisation; its slug and site are the platform's decision.
            for name in ("slug", "site"):
                if name in self.fields:
                    self.fields[name].disabled = True
        if not can_manage_team(self.for_user, self.instance.pk):
            # Not shown, not read, not saved: who belongs here is not this user's decision.
            self.formsets.pop("memberships", None)

    def clean_mollie_api_key(self) -> str:
        value = self.cleaned_data.get("mollie_api_key", "")
        if not value:
            return self.instance.mollie_api_key if self.instance.pk else ""
        if not (value.startswith("test_") or value.startswith("live_")) or len(value) < 30:
            raise forms.ValidationError(
                _("A Mollie API key starts with test_ or live_ and is at least 30 characters.")
            )
        return value


class MembershipAdminForm(WagtailAdminModelForm):
    """A member, named by the exact username or email address of an existing account.

    No list of users is ever shown (it would tell one organisation who else is on the
    platform). Accounts are created by the platform's administrators.
    """

    user = forms.CharField(
        label=_("Username or email address"),
        max_length=254,
        help_text=_(
            "Of an existing account, written exactly. The platform's administrators create "
            "accounts."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.user_id:
            self.initial["user"] = self.instance.user.get_username()

    def clean_user(self):
        wanted = self.cleaned_data["user"].strip()
        user_model = get_user_model()
        match = Q(**{user_model.USERNAME_FIELD: wanted})
        email_field = user_model.get_email_field_name()
        if "@" in wanted and email_field:
            match |= Q(**{f"{email_field}__iexact": wanted})
        found = list(user_model._default_manager.filter(match, is_active=True)[:2])
        if not found:
            raise forms.ValidationError(
                _("No active user has exactly this username or email address."),
                code="unknown_user",
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several users have this email address: write the username instead."),
                code="ambiguous_user",
            )
        return found[0]


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
        if formset is not None and not self._removals_allowed(formset):
            valid = False
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

    def _removals_allowed(self, formset) -> bool:
        """Ticket types marked for removal that have orders (or live holds) stay: their row
        comes back with the reason, instead of the database refusing the delete later."""
        allowed = True
        for form in formset.forms:
            if not (form.instance.pk and formset._should_delete_form(form)):
                continue
            blocker = ticket_type_removal_blocker(form.instance)
            if blocker:
                data = form.data.copy()
                data[form.add_prefix(DELETION_FIELD_NAME)] = ""
                form.data = data  # shown again, not hidden as removed
                form.add_error(None, blocker)
                self.add_error(None, blocker)
                allowed = False
        return allowed

    def save(self, commit: bool = True):
        formset = self.formsets.get("ticket_types")
        if commit and formset is not None:
            removed = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
            forget_holds_that_are_over(removed)
        return super().save(commit=commit)
