from django.apps import AppConfig


class ReadmodelConfig(AppConfig):
    """The materialized read model (`Rollup` rows) every page and API response reads.

    A low app: it depends only on `alignment`, so okrs, roadmaps and tasks can read progress
    without importing dashboards, which computes the rows and registers its refresher here
    (`readmodel.freshness.register`).
    """

    name = "readmodel"
    verbose_name = "Read model"
    default_auto_field = "django.db.models.BigAutoField"
