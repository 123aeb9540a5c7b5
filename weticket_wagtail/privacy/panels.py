"""The dashboard panel: policy-change notifications that are still being sent."""

from __future__ import annotations

from django.template.loader import get_template
from wagtail.admin.ui.components import Component

from .models import NotificationCampaign
from .services.campaigns import progress


class CampaignsInProgressPanel(Component):
    """Lists unfinished campaigns with their progress; shown to superusers only."""

    name = "weticket_policy_campaigns"
    template_name = "weticket_wagtail/privacy/admin/campaigns_panel.html"
    order = 150

    def __init__(self, index_url: str = ""):
        self.index_url = index_url

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        campaigns = (
            NotificationCampaign.objects.exclude(status=NotificationCampaign.Status.FINISHED)
            .select_related("version")
            .order_by("-created_at")[:10]
        )
        context["campaigns"] = [(campaign, progress(campaign)) for campaign in campaigns]
        context["index_url"] = self.index_url
        return context

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context or {})
        if not context["campaigns"]:
            return ""  # nothing in progress: no panel at all
        return get_template(self.template_name).render(context)
