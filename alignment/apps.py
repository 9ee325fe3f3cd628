from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"
    label = "alignment"
    verbose_name = "Workspaces"
    default_auto_field = "django.db.models.BigAutoField"
