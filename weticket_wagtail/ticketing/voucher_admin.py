"""Vouchers in the Wagtail admin (*Tickets → Vouchers*): list with uses, edit, bulk creation
and CSV export, each scoped to the user's organisations.

Admin code only: every decision (codes, uses, the CSV) is in :mod:`.services.vouchers`.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.widgets.button import HeaderButton

from weticket_wagtail.permissions import is_active_superuser

from .models import Event, Organisation, TicketType, Voucher
from .permissions import organisation_ids_for, scope_queryset
from .services import vouchers as voucher_service

MAX_BULK = 5000


def _own_organisations(user):
    return scope_queryset(Organisation.objects.all(), user, "pk")


class VoucherAdminForm(WagtailAdminModelForm):
    """Organisation, event and ticket-type choices are only the user's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if is_active_superuser(self.for_user):
            return
        own = organisation_ids_for(self.for_user)
        if "organisation" in self.fields:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=own)
        if "event" in self.fields:
            self.fields["event"].queryset = Event.objects.filter(organisation_id__in=own)
        if "ticket_types" in self.fields:
            self.fields["ticket_types"].queryset = TicketType.objects.filter(
                event__organisation_id__in=own
            )

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        chosen = cleaned.get("ticket_types") or []
        if organisation is not None and any(
            t.event.organisation_id != organisation.pk for t in chosen
        ):
            self.add_error("ticket_types", _("Choose ticket types of this organisation."))
        return cleaned


VOUCHER_PANELS = [
    MultiFieldPanel(
        [FieldPanel("organisation"), FieldPanel("event"), FieldPanel("code"), FieldPanel("tag")],
        heading=gettext_lazy("Voucher"),
    ),
    MultiFieldPanel(
        [
            FieldRowPanel([FieldPanel("kind"), FieldPanel("value")]),
            FieldPanel("ticket_types", widget=forms.CheckboxSelectMultiple),
            FieldPanel("unlocks_hidden"),
        ],
        heading=gettext_lazy("Discount"),
    ),
    MultiFieldPanel(
        [
            FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
            FieldRowPanel([FieldPanel("max_uses"), FieldPanel("is_active")]),
        ],
        heading=gettext_lazy("Validity"),
    ),
]


def voucher_edit_handler() -> ObjectList:
    return ObjectList(VOUCHER_PANELS, base_form_class=VoucherAdminForm).bind_to_model(Voucher)


class VoucherFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Organisation"),
        queryset=lambda request: (
            _own_organisations(request.user) if request is not None else Organisation.objects.none()
        ),
    )

    class Meta:
        model = Voucher
        fields = ["organisation", "kind", "is_active", "tag"]


class UsesColumn(Column):
    """Uses of each voucher on the page, counted in one query for the whole page."""

    def get_value(self, instance):
        counts = getattr(instance, "_weticket_uses", None)
        return f"{counts if counts is not None else voucher_service.uses(instance.pk)}"


class VoucherIndexView(IndexView):
    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.add_url:
            buttons.append(
                HeaderButton(_("Create codes in bulk"), url=reverse("weticket_vouchers:bulk"))
            )
        buttons.append(
            HeaderButton(
                _("Download CSV"), url=reverse("weticket_vouchers:export"), icon_name="download"
            )
        )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        rows = list(context.get("object_list") or [])
        counts = voucher_service.uses_by_voucher(v.pk for v in rows)
        for voucher in rows:
            voucher._weticket_uses = counts.get(voucher.pk, 0)
        return context


class BulkVoucherForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    event = forms.ModelChoiceField(
        label=gettext_lazy("Event"),
        queryset=Event.objects.none(),
        required=False,
        help_text=gettext_lazy("Empty: valid for every event of the organisation."),
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many codes"), min_value=1, max_value=MAX_BULK
    )
    prefix = forms.CharField(
        label=gettext_lazy("Prefix"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Every code starts with this, e.g. SPONSOR-."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Discount"), choices=Voucher.Kind.choices)
    value = forms.DecimalField(label=gettext_lazy("Value"), min_value=0, decimal_places=2)
    max_uses = forms.IntegerField(label=gettext_lazy("Maximum uses per code"), min_value=1)
    valid_until = forms.DateTimeField(label=gettext_lazy("Valid until"), required=False)
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=100, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        own = _own_organisations(user)
        self.fields["organisation"].queryset = own
        self.fields["event"].queryset = Event.objects.filter(organisation__in=own)

    def template_voucher(self) -> Voucher:
        data = self.cleaned_data
        voucher = Voucher(
            organisation=data["organisation"],
            event=data.get("event"),
            kind=data["kind"],
            value=data["value"],
            max_uses=data["max_uses"],
            valid_until=data.get("valid_until"),
            tag=data.get("tag") or "",
            code="X",
        )
        try:
            voucher.clean()
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            raise
        return voucher


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bulk_create_view(request: HttpRequest) -> HttpResponse:
    """Make N codes at once; the answer is the CSV of the new codes."""
    allowed = request.user.has_perm("wagtailadmin.access_admin")
    if not (allowed and _own_organisations(request.user).exists()):
        raise PermissionDenied
    form = BulkVoucherForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            template = form.template_voucher()
        except ValidationError:
            pass
        else:
            created = voucher_service.create_vouchers(
                template, form.cleaned_data["count"], prefix=form.cleaned_data.get("prefix") or ""
            )
            messages.success(request, _("%(count)d codes created.") % {"count": len(created)})
            rows = Voucher.objects.filter(pk__in=[v.pk for v in created]).select_related("event")
            return _csv_response(voucher_service.vouchers_csv(rows), "vouchers.csv")
    return TemplateResponse(
        request,
        "weticket_wagtail/admin/voucher_bulk.html",
        {"form": form, "index_url": reverse("weticket_vouchers:index")},
        status=400 if request.method == "POST" else 200,
    )


def export_view(request: HttpRequest) -> HttpResponse:
    """Every code of the user's organisations, with its uses, as CSV."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied
    rows = scope_queryset(Voucher.objects.all(), request.user, "organisation_id").select_related(
        "event"
    )
    if request.GET.get("tag"):
        rows = rows.filter(tag=request.GET["tag"])
    return _csv_response(voucher_service.vouchers_csv(rows.order_by("code")), "vouchers.csv")


def extra_urlpatterns() -> list:
    return [
        path("bulk/", bulk_create_view, name="bulk"),
        path("export/", export_view, name="export"),
    ]
