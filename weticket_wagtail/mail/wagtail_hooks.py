from wagtail import VERSION as WAGTAIL_VERSION
from wagtail import hooks

from .models import OutboxMessage
from .viewsets import OutboxMessageViewSet, SuperuserViewOnlyPermissionPolicy

if WAGTAIL_VERSION >= (8, 0):
    # Wagtail 8 looks policies up in its registry; 7.x asks the viewset (see viewsets.py).
    from wagtail.permissions import register_permission_policy

    register_permission_policy(OutboxMessage, SuperuserViewOnlyPermissionPolicy(OutboxMessage))


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return OutboxMessageViewSet("weticket_outbox")
