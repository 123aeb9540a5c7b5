"""Every public URL of the package, for your project's ``urls.py``, before Wagtail's catch-all::

    path("tickets/", include("weticket_wagtail.urls")),

Each app keeps its own namespace: ``weticket_payments`` (Mollie's webhook at
``webhooks/mollie/``) and ``weticket_checkout`` (the shop, embed, checkout and order pages).
The privacy app has no URLs of its own: its archive is a route of the statement page.
"""

from django.urls import include, path

urlpatterns = [
    path("webhooks/", include("weticket_wagtail.payments.urls")),
    path("", include("weticket_wagtail.checkout.urls")),
]
