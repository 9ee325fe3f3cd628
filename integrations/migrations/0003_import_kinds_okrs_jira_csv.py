from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_import_job"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("tasks_csv", "Tasks from CSV"),
                    ("okrs_csv", "OKRs from CSV"),
                    ("jira", "Jira"),
                    ("jira_csv", "Jira CSV"),
                ],
                max_length=12,
            ),
        ),
    ]
