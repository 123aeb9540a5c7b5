from wagtail import hooks

from weticket_wagtail.permissions import register_policy
from weticket_wagtail.ticketing.models import Order

from .audit import register_actions
from .dashboard import SalesDashboardPanel
from .viewsets import ORDER_POLICY, OrderViewSet

register_policy(Order, ORDER_POLICY)


@hooks.register("register_admin_viewset")
def register_orders_viewset():
    return OrderViewSet("weticket_orders")


@hooks.register("register_log_actions")
def register_order_log_actions(actions):
    """Refunds, resends and exports, as the order's audit log shows them (see audit.py)."""
    register_actions(actions)


@hooks.register("construct_homepage_panels")
def add_sales_panel(request, panels):
    """Ticket sales per organisation the user may see (see dashboard.py)."""
    panels.append(SalesDashboardPanel(request.user))
