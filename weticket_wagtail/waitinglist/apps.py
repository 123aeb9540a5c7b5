from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitingListConfig(AppConfig):
    name = "weticket_wagtail.waitinglist"
    label = "weticket_waitinglist"
    verbose_name = _("Waiting list")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the Celery tasks beat schedules by name
        from .personal_data import register as register_personal_data

        register_personal_data()

        from . import signal_handlers

        signal_handlers.connect()
