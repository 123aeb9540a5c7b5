from wagtail import hooks

from weticket_wagtail.permissions import register_policy

from .models import Event, Organisation, Voucher
from .payment_warnings import PaymentsNotReadyDashboardPanel
from .permissions import policy_for
from .viewsets import TicketsViewSetGroup

register_policy(Organisation, policy_for(Organisation))
register_policy(Event, policy_for(Event))
register_policy(Voucher, policy_for(Voucher))


@hooks.register("register_admin_viewset")
def register_tickets_viewsets():
    return TicketsViewSetGroup()


@hooks.register("construct_homepage_panels")
def add_payments_not_ready_panel(request, panels):
    panels.append(PaymentsNotReadyDashboardPanel(request.user))
