from django.urls import NoReverseMatch, reverse
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail import hooks

from .models import DataSubjectRequest, NotificationCampaign, PolicyVersion
from .panels import CampaignsInProgressPanel
from .request_viewsets import REQUEST_POLICY, RequestsDuePanel
from .viewsets import CAMPAIGN_POLICY, VERSION_POLICY, PrivacyViewSetGroup

if WAGTAIL_VERSION >= (8, 0):
    # Wagtail 8 looks policies up in its registry; 7.x asks the viewset (see viewsets.py).
    from wagtail.permissions import register_permission_policy

    register_permission_policy(PolicyVersion, VERSION_POLICY)
    register_permission_policy(NotificationCampaign, CAMPAIGN_POLICY)
    register_permission_policy(DataSubjectRequest, REQUEST_POLICY)


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


@hooks.register("construct_homepage_panels")
def add_requests_due_panel(request, panels):
    if REQUEST_POLICY.user_has_permission(request.user, "view"):
        try:
            index_url = reverse("weticket_privacy_requests:index")
        except NoReverseMatch:
            index_url = ""
        panels.append(RequestsDuePanel(request.user, index_url))
