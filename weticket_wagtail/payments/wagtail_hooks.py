from wagtail import hooks

from weticket_wagtail.permissions import register_policy
from weticket_wagtail.ticketing.models import Order

from .viewsets import ORDER_POLICY, OrderViewSet

register_policy(Order, ORDER_POLICY)


@hooks.register("register_admin_viewset")
def register_orders_viewset():
    return OrderViewSet("weticket_orders")
