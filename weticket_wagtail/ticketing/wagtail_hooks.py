from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .models import Event, Organisation
from .permissions import policy_for
from .viewsets import TicketsViewSetGroup

register_policy(Organisation, policy_for(Organisation))
register_policy(Event, policy_for(Event))


@hooks.register("register_admin_viewset")
def register_tickets_viewsets():
    return TicketsViewSetGroup()
