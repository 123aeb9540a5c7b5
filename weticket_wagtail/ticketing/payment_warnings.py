"""Admin warnings about organisations that cannot take payments yet: on the organisation's and
its events' edit screens, and a panel on the dashboard (see ``services.payability``)."""

from __future__ import annotations

from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from wagtail.admin.panels import Panel
from wagtail.admin.ui.components import Component

from .models import Organisation
from .permissions import scope_queryset
from .services.payability import can_take_payments, organisations_without_payments


class PaymentsReadinessPanel(Panel):
    """A warning on an organisation (or its event) that cannot take payments; hidden otherwise."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "weticket_wagtail/admin/payments_readiness_panel.html"

        def organisation(self):
            instance = self.instance
            if instance is None or instance.pk is None:
                return None
            if hasattr(instance, "mollie_api_key"):
                return instance
            return instance.organisation if instance.organisation_id else None

        def is_shown(self) -> bool:
            organisation = self.organisation()
            return organisation is not None and not can_take_payments(organisation)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["organisation"] = self.organisation()
            return context


class PaymentsNotReadyDashboardPanel(Component):
    """The dashboard lists the user's organisations that cannot take payments yet."""

    name = "weticket_payments_not_ready"
    template_name = "weticket_wagtail/admin/payments_not_ready_dashboard.html"
    order = 90

    def __init__(self, user):
        self.user = user

    def render_html(self, parent_context=None):
        organisations = list(
            organisations_without_payments(
                scope_queryset(Organisation.objects.all(), self.user, "pk")
            ).only("pk", "name")[:20]
        )
        if not organisations:
            return ""  # every organisation can take payments: no panel at all
        rows = []
        for organisation in organisations:
            try:
                url = reverse("weticket_organisations:edit", args=[organisation.pk])
            except NoReverseMatch:
                url = ""
            rows.append((organisation, url))
        context = {**self.get_context_data(parent_context or {}), "rows": rows}
        return get_template(self.template_name).render(context)
