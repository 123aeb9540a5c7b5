from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "weticket_wagtail.payments"
    label = "weticket_payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            tasks,  # noqa: F401 - registers the Celery tasks beat schedules by name
        )
        from .personal_data import register as register_personal_data

        register_personal_data()
