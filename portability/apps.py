from django.apps import AppConfig


class PortabilityConfig(AppConfig):
    """Export a workspace to an archive and import it into this or another instance.

    A top app: it reads every other app's models (through the policy in `policy.py`) and
    nothing imports it, so it can never pull the domain apps into a cycle.
    """

    name = "portability"
    verbose_name = "Workspace export and import"
    default_auto_field = "django.db.models.BigAutoField"
