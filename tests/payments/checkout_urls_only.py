"""A project that still includes only ``weticket_wagtail.checkout.urls`` (the old README)."""

from django.urls import include, path

urlpatterns = [path("tickets/", include("weticket_wagtail.checkout.urls"))]
