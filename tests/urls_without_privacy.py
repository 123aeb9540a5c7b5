"""A URLconf without the privacy app's URLs, for the system check that notices."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("tickets/", include("weticket_wagtail.checkout.urls")),
    path("", include(wagtail_urls)),
]
