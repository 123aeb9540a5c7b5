from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .models import WaitingListEntry
from .viewsets import POLICY, WaitingListViewSet

register_policy(WaitingListEntry, POLICY)


@hooks.register("register_admin_viewset")
def register_waiting_list_viewset():
    return WaitingListViewSet("weticket_waiting_list")
