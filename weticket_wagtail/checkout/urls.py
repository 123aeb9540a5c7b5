"""The buyer's pages, namespace ``weticket_checkout``.

Include :mod:`weticket_wagtail.urls` (which includes this and Mollie's webhook) rather than this
module: ``path("tickets/", include("weticket_wagtail.urls"))``.
"""

from django.urls import path

from . import views, waiting_list

app_name = "weticket_checkout"

urlpatterns = [
    path("order/<str:token>/", views.order_detail, name="order"),
    path("order/<str:token>/pay/", views.order_pay, name="order_pay"),
    path("order/<str:token>/return/", views.order_return, name="order_return"),
    path("order/<str:token>/tickets.pdf", views.order_tickets_pdf, name="order_pdf"),
    path("checkout/<str:token>/", views.checkout, name="checkout"),
    path(
        "waiting-list/join/<slug:organisation_slug>/<slug:event_slug>/",
        waiting_list.join,
        name="waitinglist_join",
    ),
    path("waiting-list/<str:token>/confirm/", waiting_list.confirm, name="waitinglist_confirm"),
    path("waiting-list/<str:token>/offer/", waiting_list.offer, name="waitinglist_offer"),
    path("waiting-list/<str:token>/leave/", waiting_list.leave, name="waitinglist_leave"),
    path("embed/<slug:organisation_slug>/<slug:event_slug>/", views.embed_shop, name="embed"),
    path("<slug:organisation_slug>/<slug:event_slug>/event.ics", views.event_ics, name="event_ics"),
    path("<slug:organisation_slug>/<slug:event_slug>/", views.event_shop, name="event_shop"),
]
