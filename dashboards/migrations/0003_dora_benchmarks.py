"""The published DORA clusters (2023 and 2024) as versioned data; source: shared/benchmarks/dora.md.

Units: deployment frequency in deployments per day, lead and recovery times in hours, change
fail rate as a share. Where the report gives a range, `bound` is the edge a team must meet.
"""

from django.db import migrations

DAY, WEEK, MONTH, HALF_YEAR = 24.0, 24.0 * 7, 24.0 * 30, 24.0 * 182

REPORTS = {
    2024: (
        "Accelerate State of DevOps Report 2024",
        "https://dora.dev/research/2024/dora-report/",
        {"elite": 19, "high": 22, "medium": 35, "low": 25},
        {
            "deployment_frequency": [
                ("elite", "at_least", 1.0, "On demand (several deploys a day)"),
                ("high", "at_least", 1 / 7, "Between once a day and once a week"),
                ("medium", "at_least", 1 / 30, "Between once a week and once a month"),
                ("low", "at_least", 0.0, "Between once a month and once every six months"),
            ],
            "lead_time": [
                ("elite", "at_most", DAY, "Under one day"),
                ("high", "at_most", WEEK, "One day to one week"),
                ("medium", "at_most", MONTH, "One week to one month"),
                ("low", "at_most", HALF_YEAR, "One month to six months"),
            ],
            "change_failure_rate": [
                ("elite", "nearest", 0.05, "5%"),
                ("high", "nearest", 0.20, "20%"),
                ("medium", "nearest", 0.10, "10%"),
                ("low", "nearest", 0.40, "40%"),
            ],
            "time_to_restore": [
                ("elite", "at_most", 1.0, "Under one hour"),
                ("high", "at_most", DAY, "Under one day"),
                ("medium", "at_most", DAY, "Under one day"),
                ("low", "at_most", MONTH, "One week to one month"),
            ],
        },
    ),
    2023: (
        "Accelerate State of DevOps Report 2023",
        "https://dora.dev/research/2023/dora-report/",
        {"elite": 18, "high": 31, "medium": 33, "low": 18},
        {
            "deployment_frequency": [
                ("elite", "at_least", 1.0, "On demand"),
                ("high", "at_least", 1 / 7, "Once a day to once a week"),
                ("medium", "at_least", 1 / 30, "Once a week to once a month"),
                ("low", "at_least", 0.0, "Once a week to once a month"),
            ],
            "lead_time": [
                ("elite", "at_most", DAY, "Under one day"),
                ("high", "at_most", WEEK, "One day to one week"),
                ("medium", "at_most", MONTH, "One week to one month"),
                ("low", "at_most", MONTH, "One week to one month"),
            ],
            "change_failure_rate": [
                ("elite", "nearest", 0.05, "5%"),
                ("high", "nearest", 0.10, "10%"),
                ("medium", "nearest", 0.15, "15%"),
                ("low", "nearest", 0.64, "64%"),
            ],
            "time_to_restore": [
                ("elite", "at_most", 1.0, "Under one hour"),
                ("high", "at_most", DAY, "Under one day"),
                ("medium", "at_most", WEEK, "One day to one week"),
                ("low", "at_most", HALF_YEAR, "One month to six months"),
            ],
        },
    ),
}
RANK = {"elite": 0, "high": 1, "medium": 2, "low": 3}


def load(apps, schema_editor):
    DoraBenchmark = apps.get_model("dashboards", "DoraBenchmark")
    rows = []
    for year, (report, url, shares, metrics) in REPORTS.items():
        for metric, tiers in metrics.items():
            for tier, comparison, bound, label in tiers:
                rows.append(
                    DoraBenchmark(
                        report=report,
                        year=year,
                        source_url=url,
                        tier=tier,
                        rank=RANK[tier],
                        share_percent=shares[tier],
                        metric=metric,
                        comparison=comparison,
                        bound=bound,
                        label=label,
                    )
                )
    DoraBenchmark.objects.bulk_create(rows)


def unload(apps, schema_editor):
    apps.get_model("dashboards", "DoraBenchmark").objects.filter(year__in=REPORTS).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_delivery_metrics")]
    operations = [migrations.RunPython(load, unload)]
