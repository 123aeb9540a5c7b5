from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from weticket_wagtail.ticketing.viewsets import TicketsViewSetGroup

from .views import BookkeepingExportView, InsightsView, scoped_organisations


class InsightsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return scoped_organisations(request.user).exists()


@hooks.register("register_admin_urls")
def register_insights_urls():
    return [
        path("weticket/insights/", InsightsView.as_view(), name="weticket_insights"),
        path(
            "weticket/insights/bookkeeping/",
            BookkeepingExportView.as_view(),
            name="weticket_insights_bookkeeping",
        ),
    ]


def insights_menu_item():
    return InsightsMenuItem(
        _("Insights"),
        reverse("weticket_insights"),
        name="weticket-insights",
        icon_name="table",
        order=252,
    )


# Inside the "Tickets" menu on Wagtail 8 (its submenu hook), top level on 7.x.
hooks.register(
    TicketsViewSetGroup.submenu_hook if WAGTAIL_VERSION >= (8, 0) else "register_admin_menu_item",
    insights_menu_item,
)
