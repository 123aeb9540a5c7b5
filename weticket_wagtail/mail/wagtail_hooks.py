from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .models import OutboxMessage
from .views import OutboxMessageViewSet, SuperuserViewOnlyPermissionPolicy

register_permission_policy(OutboxMessage, SuperuserViewOnlyPermissionPolicy(OutboxMessage))


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return OutboxMessageViewSet("weticket_outbox")
