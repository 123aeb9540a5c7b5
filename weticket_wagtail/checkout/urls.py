"""Include in your project: ``path("tickets/", include("weticket_wagtail.checkout.urls"))``."""

from django.urls import path

from weticket_wagtail.payments.views import mollie_webhook

from . import views

app_name = "weticket_checkout"

urlpatterns = [
    path("webhooks/mollie/", mollie_webhook, name="mollie_webhook"),
    path("order/<str:token>/", views.order_detail, name="order"),
    path("order/<str:token>/pay/", views.order_pay, name="order_pay"),
    path("order/<str:token>/return/", views.order_return, name="order_return"),
    path("order/<str:token>/tickets.pdf", views.order_tickets_pdf, name="order_pdf"),
    path("checkout/<str:token>/", views.checkout, name="checkout"),
    path("embed/<slug:organisation_slug>/<slug:event_slug>/", views.embed_shop, name="embed"),
    path("<slug:organisation_slug>/<slug:event_slug>/event.ics", views.event_ics, name="event_ics"),
    path("<slug:organisation_slug>/<slug:event_slug>/", views.event_shop, name="event_shop"),
]
