from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "weticket_wagtail.privacy"
    label = "weticket_privacy"
    verbose_name = _("Privacy")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signal_handlers
        from .consent.personal_data import register as register_personal_data

        register_personal_data()
        signal_handlers.connect()
