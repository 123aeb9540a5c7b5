from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An agency's own models join the personal-data registry the same way the plugin's do.
        from .personal_data import register as register_personal_data

        register_personal_data()
