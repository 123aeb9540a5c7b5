from django.urls import NoReverseMatch, reverse
from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .models import NotificationCampaign, PolicyVersion
from .panels import CampaignsInProgressPanel
from .viewsets import CAMPAIGN_POLICY, VERSION_POLICY, PrivacyViewSetGroup

register_policy(PolicyVersion, VERSION_POLICY)
register_policy(NotificationCampaign, CAMPAIGN_POLICY)


@hooks.register("register_admin_viewset")
def register_privacy_viewsets():
    return PrivacyViewSetGroup()


@hooks.register("construct_homepage_panels")
def add_campaigns_in_progress_panel(request, panels):
    if CAMPAIGN_POLICY.user_has_permission(request.user, "view"):
        try:
            index_url = reverse("weticket_policy_campaigns:index")
        except NoReverseMatch:
            index_url = ""
        panels.append(CampaignsInProgressPanel(index_url))
