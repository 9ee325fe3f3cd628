from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"
    label = "alignment"
    verbose_name = "Workspaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alignment import api_auth_cache, lookups

        lookups.register()
        api_auth_cache.connect()
