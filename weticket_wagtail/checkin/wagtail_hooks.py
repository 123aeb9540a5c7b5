from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .models import CheckinDevice, CheckinList
from .viewsets import DEVICE_POLICY, LIST_POLICY, CheckinDeviceViewSet, CheckinListViewSet

register_policy(CheckinList, LIST_POLICY)
register_policy(CheckinDevice, DEVICE_POLICY)


@hooks.register("register_admin_viewset")
def register_checkin_viewsets():
    return [
        CheckinListViewSet("weticket_checkin_lists"),
        CheckinDeviceViewSet("weticket_checkin_devices"),
    ]
