from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "weticket_wagtail.mail"
    label = "weticket_mail"
    verbose_name = _("Email outbox")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the Celery tasks beat schedules by name
