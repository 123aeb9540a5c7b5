"""The sales panel on the Wagtail dashboard: one row per organisation the user may see."""

from __future__ import annotations

from django.template.loader import get_template
from wagtail.admin.ui.components import Component

from weticket_wagtail.money import format_money
from weticket_wagtail.ticketing.models import Organisation
from weticket_wagtail.ticketing.permissions import scope_queryset

from .services import sales_overview


class SalesDashboardPanel(Component):
    """Today's sales, revenue, events on sale and refunds waiting, per organisation."""

    name = "weticket_sales"
    template_name = "weticket_wagtail/admin/sales_dashboard.html"
    order = 80

    def __init__(self, user):
        self.user = user

    def render_html(self, parent_context=None) -> str:
        figures = sales_overview(scope_queryset(Organisation.objects.all(), self.user, "pk"))
        if not figures:
            return ""
        rows = [
            {
                "figures": row,
                "revenue_today": format_money(row.revenue_today),
                "revenue_month": format_money(row.revenue_month),
            }
            for row in figures
        ]
        context = {**self.get_context_data(parent_context or {}), "rows": rows}
        return get_template(self.template_name).render(context)
