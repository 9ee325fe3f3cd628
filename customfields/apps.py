from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "customfields"
    verbose_name = "Custom fields"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customfields import registrations

        registrations.connect()
