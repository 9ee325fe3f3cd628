"""Default workflows for teams that existed before tasks/, and the trigram index on titles.

pg_trgm and its GIN index exist only on PostgreSQL: `TrigramExtension` skips other vendors
itself, and the index is created by RunPython that checks the connection's vendor, so the
same migration runs on SQLite.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

DEFAULT_STATES = [
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("In Review", "started"),
    ("Done", "done"),
    ("Canceled", "canceled"),
]
TRGM_INDEX = "task_title_trgm_idx"


def backfill_workflows(apps, schema_editor):
    Team = apps.get_model("alignment", "Team")
    WorkflowState = apps.get_model("tasks", "WorkflowState")
    TaskCounter = apps.get_model("tasks", "TaskCounter")
    for team in Team.objects.all():
        if not WorkflowState.objects.filter(team=team).exists():
            WorkflowState.objects.bulk_create(
                WorkflowState(
                    workspace_id=team.workspace_id,
                    team=team,
                    name=name,
                    category=category,
                    position=i,
                )
                for i, (name, category) in enumerate(DEFAULT_STATES)
            )
        TaskCounter.objects.get_or_create(team=team, defaults={"workspace_id": team.workspace_id})


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON tasks_task USING gin (title gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(backfill_workflows, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
