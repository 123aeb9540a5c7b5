from wagtail import VERSION as WAGTAIL_VERSION
from wagtail import hooks

from .models import Event, Organisation
from .payment_warnings import PaymentsNotReadyDashboardPanel
from .permissions import policy_for
from .viewsets import TicketsViewSetGroup

if WAGTAIL_VERSION >= (8, 0):
    # Wagtail 8 looks policies up in its registry; 7.x asks the viewset (see viewsets.py).
    from wagtail.permissions import register_permission_policy

    register_permission_policy(Organisation, policy_for(Organisation))
    register_permission_policy(Event, policy_for(Event))


@hooks.register("register_admin_viewset")
def register_tickets_viewsets():
    return TicketsViewSetGroup()


@hooks.register("construct_homepage_panels")
def add_payments_not_ready_panel(request, panels):
    panels.append(PaymentsNotReadyDashboardPanel(request.user))
