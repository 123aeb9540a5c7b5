"""The insights page and the bookkeeping export in the Wagtail admin: thin callers of services.

Both answer only for organisations the user belongs to (superusers: every organisation), by
:func:`~weticket_wagtail.ticketing.permissions.scope_queryset`; another organisation's id
answers 404, so nobody learns even that it exists.
"""

from __future__ import annotations

import datetime

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from weticket_wagtail.money import format_money
from weticket_wagtail.ticketing.models import Organisation
from weticket_wagtail.ticketing.permissions import scope_queryset

from .services.aggregates import Insights, Period, organisation_insights
from .services.bookkeeping import ledger, ledger_csv, ledger_xlsx
from .services.charts import bar_chart
from .services.export import insights_csv


def scoped_organisations(user):
    return scope_queryset(Organisation.objects.all(), user, "pk").order_by("name", "pk")


class InsightsFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=gettext_lazy("Organisation"),
        empty_label=None,
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Up to and including"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    granularity = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[
            ("month", gettext_lazy("month")),
            ("week", gettext_lazy("week")),
            ("day", gettext_lazy("day")),
        ],
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class OrganisationPeriodMixin:
    """Reads organisation, period and granularity from the query string, scoped to the user."""

    def read_filters(self) -> tuple[InsightsFilterForm, Organisation, Period, str]:
        organisations = scoped_organisations(self.request.user)
        data = self.request.GET.copy()
        wanted = data.get("organisation")
        if wanted:
            if not str(wanted).isdigit():
                raise Http404
            organisation = get_object_or_404(organisations, pk=wanted)
        else:
            organisation = organisations.first()
            if organisation is None:
                raise Http404
            data["organisation"] = str(organisation.pk)
        form = InsightsFilterForm(data, organisations=organisations)
        form.is_valid()
        cleaned = getattr(form, "cleaned_data", {})
        period = Period(start=cleaned.get("start"), end=cleaned.get("end"))
        return form, organisation, period, cleaned.get("granularity") or "month"


class InsightsView(OrganisationPeriodMixin, WagtailAdminTemplateMixin, TemplateView):
    """Anonymised figures of one organisation: tables, SVG charts, CSV (``?export=csv``)."""

    template_name = "weticket_insights/insights.html"
    page_title = gettext_lazy("Insights")
    header_icon = "table"

    def get(self, request, *args, **kwargs):
        self.form, self.organisation, period, granularity = self.read_filters()
        self.insights = organisation_insights(self.organisation, period, granularity=granularity)
        if request.GET.get("export") == "csv":
            response = HttpResponse(
                insights_csv(self.insights), content_type="text/csv; charset=utf-8"
            )
            name = f"insights-{self.organisation.slug}-{timezone.localdate().isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.organisation.name

    def get_context_data(self, **kwargs):
        insights: Insights = self.insights
        currency = insights.currency
        money = lambda amount: format_money(amount, currency)  # noqa: E731
        query = self.request.GET.copy()
        query["organisation"] = str(self.organisation.pk)
        query.pop("export", None)
        return super().get_context_data(
            form=self.form,
            insights=insights,
            csv_query=f"{query.urlencode()}&export=csv",
            bookkeeping_query=query.urlencode(),
            charts={
                "over_time": bar_chart(
                    insights.over_time,
                    title=_("Revenue over time"),
                    value=lambda cell: cell.revenue,
                    display=lambda cell: money(cell.revenue),
                ),
                "events": bar_chart(
                    insights.events,
                    title=_("Tickets sold per event"),
                    value=lambda cell: cell.tickets,
                    display=lambda cell: str(cell.tickets),
                ),
                "methods": bar_chart(
                    insights.methods,
                    title=_("Orders per payment method"),
                    value=lambda cell: cell.orders,
                    display=lambda cell: f"{cell.share}%",
                ),
            },
            **kwargs,
        )


class BookkeepingExportView(OrganisationPeriodMixin, TemplateView):
    """The ledger of one organisation and period as CSV (default) or XLSX (``?format=xlsx``)."""

    def get(self, request, *args, **kwargs):
        _form, organisation, period, _granularity = self.read_filters()
        lines = ledger(organisation, period)
        stem = "-".join(
            part
            for part in (
                "bookkeeping",
                organisation.slug,
                _iso(period.start),
                _iso(period.end),
            )
            if part
        )
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(
                ledger_xlsx(lines),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
            return response
        response = HttpResponse(ledger_csv(lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""
