from django.apps import apps
from django.urls import NoReverseMatch, reverse
from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .consent.viewsets import CONSENT_LOG_POLICY
from .models import (
    ConsentRecord,
    ConsentSettings,
    DataSubjectRequest,
    NotificationCampaign,
    PolicyVersion,
    PurgeLogEntry,
)
from .panels import CampaignsInProgressPanel
from .request_viewsets import REQUEST_POLICY, RequestsDuePanel
from .viewsets import CAMPAIGN_POLICY, PURGE_LOG_POLICY, VERSION_POLICY, PrivacyViewSetGroup

register_policy(PolicyVersion, VERSION_POLICY)
register_policy(NotificationCampaign, CAMPAIGN_POLICY)
register_policy(ConsentRecord, CONSENT_LOG_POLICY)
register_policy(DataSubjectRequest, REQUEST_POLICY)
register_policy(PurgeLogEntry, PURGE_LOG_POLICY)

if apps.is_installed("wagtail.contrib.settings"):
    # Settings → Cookie consent, per site. Without the app the banner stays off (weticket.W006).
    from wagtail.contrib.settings.registry import register_setting

    register_setting(ConsentSettings, icon="lock")


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
