"""The tests' URLs: the example site's without a language prefix, as a client site without
``i18n_patterns`` has them (tests of the demo's ``/nl/`` and ``/en/`` use ``demo.urls``)."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("tickets/", include("weticket_wagtail.urls")),
    path("", include(wagtail_urls)),
]
