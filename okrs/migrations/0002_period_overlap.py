from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("okrs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="period",
            name="allows_overlap",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="period",
            name="overlap_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddConstraint(
            model_name="period",
            constraint=models.CheckConstraint(
                condition=models.Q(allows_overlap=False) | ~models.Q(overlap_reason=""),
                name="period_overlap_has_reason",
            ),
        ),
    ]
