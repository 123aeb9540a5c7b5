from wagtail import hooks

from ..permissions import register_policy
from .models import OutboxMessage
from .viewsets import OutboxMessageViewSet, outbox_policy

register_policy(OutboxMessage, outbox_policy)


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return OutboxMessageViewSet("weticket_outbox")
