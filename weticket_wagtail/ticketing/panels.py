"""Admin panels of organisations and events: the embed snippet, and whether payments work.

Also the dashboard's list of the user's organisations that cannot take payments yet."""

from __future__ import annotations

from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel
from wagtail.admin.ui.components import Component

from weticket_wagtail.conf import weticket_settings

from .permissions import scope_queryset

# models.py imports this module for its panels: the services (which import models) are
# imported where they are used.


def embed_snippet(event) -> str:
    """The HTML an organisation pastes into a website that is not Wagtail."""
    base = weticket_settings.PUBLIC_BASE_URL.rstrip("/")
    try:
        frame = reverse("weticket_checkout:embed", args=[event.organisation.slug, event.slug])
    except NoReverseMatch:  # checkout URLs not installed
        return ""
    script = static("weticket_wagtail/embed.js")
    if not script.startswith("http"):
        script = base + script
    return (
        f'<script src="{script}" data-weticket-event="{event.organisation.slug}/{event.slug}" '
        f'data-weticket-url="{base}{frame}" async></script>'
    )


class EmbedSnippetPanel(Panel):
    """Read-only: the embed snippet, or a hint to save the event first."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "weticket_wagtail/admin/embed_snippet_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            instance = self.instance
            ready = bool(instance and instance.pk and instance.organisation_id)
            context["snippet"] = embed_snippet(instance) if ready else ""
            context["origins"] = instance.organisation.allowed_origins if ready else []
            context["help"] = _(
                "Paste this into any website to sell tickets there. Only the websites listed "
                "under the organisation's allowed embedding origins can show it."
            )
            return context


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
            from .services.payability import can_take_payments

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
        from .models import Organisation
        from .services.payability import organisations_without_payments

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
