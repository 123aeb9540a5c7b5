"""The example site's URLs: Dutch under ``/nl/``, English under ``/en/``.

The admin and documents have no language prefix. The package's URLs are inside
``i18n_patterns``, next to Wagtail's pages: the shop, the order page and the request form are
pages a visitor reads, and the language in their URL is what makes an emailed link open in the
recipient's language. Mollie's webhook and the consent endpoint work under either prefix.
``/`` (and any other path without a prefix) redirects to the visitor's language.
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("tickets/", include("weticket_wagtail.urls")),
    path("", include(wagtail_urls)),
)
