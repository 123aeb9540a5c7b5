from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "weticket_wagtail.checkin"
    label = "weticket_checkin"
    verbose_name = _("Check-in")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .personal_data import register as register_personal_data

        register_personal_data()

        from . import signal_handlers

        signal_handlers.connect()
