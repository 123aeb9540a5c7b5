from django.urls import path

from . import views

app_name = "weticket_checkin"

urlpatterns = [
    path("<str:token>/", views.scanner_page, name="scanner"),
    path("<str:token>/scan/", views.scan, name="scan"),
    path("<str:token>/state/", views.state, name="state"),
]
