"""Public URLs of the privacy app, namespace ``weticket_privacy``.

Included by :mod:`weticket_wagtail.urls` at ``privacy/``.

``request/``: the form (a *Privacy request page* placed by editors shows the same form);
``confirm/<token>/``: the link in the confirmation email; ``download/<token>/``: the link to
an access or portability export.
"""

from django.urls import path

from . import views

app_name = "weticket_privacy"

urlpatterns = [
    path("", views.request_form, name="request"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("download/<str:token>/", views.download, name="download"),
]
