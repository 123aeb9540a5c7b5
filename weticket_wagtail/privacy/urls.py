"""Public URLs of the privacy app, namespace ``weticket_privacy``.

Include them in your project (the README's install section)::

    path("privacy-requests/", include("weticket_wagtail.privacy.urls")),

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
