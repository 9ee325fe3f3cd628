"""Integration settings pages, under /w/<slug>/integrations/ (admins only)."""

from django.urls import path

from integrations import (
    digest_views,
    slack_link_views,
    views,
    views_import,
    views_review,
    views_slack_users,
)

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("new/", views.integration_new, name="integration_new"),
    path("<int:integration_id>/", views.integration_edit, name="integration_edit"),
    path("<int:integration_id>/secret/", views.integration_secret, name="integration_secret"),
    path("<int:integration_id>/rotate/", views.integration_rotate, name="integration_rotate"),
    path("<int:integration_id>/delete/", views.integration_delete, name="integration_delete"),
    path("<int:integration_id>/deliveries/", views.delivery_list, name="deliveries"),
    path(
        "<int:integration_id>/review-rules/",
        views_review.review_rules_edit,
        name="review_rules",
    ),
    path(
        "<int:integration_id>/slack-users/",
        views_slack_users.slack_users,
        name="slack_users",
    ),
    path(
        "<int:integration_id>/slack-users/<int:link_id>/remove/",
        views_slack_users.slack_user_unlink,
        name="slack_user_unlink",
    ),
    path(
        "<int:integration_id>/slack-team/",
        views_slack_users.slack_team,
        name="slack_team",
    ),
    path(
        "<int:integration_id>/deliveries/<int:delivery_id>/reprocess/",
        views.delivery_reprocess,
        name="delivery_reprocess",
    ),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:message_id>/retry/", views.outbox_retry, name="outbox_retry"),
    path("webhooks/", views.subscription_list, name="subscriptions"),
    path("webhooks/<int:subscription_id>/", views.subscription_edit, name="subscription_edit"),
    path(
        "webhooks/<int:subscription_id>/secret/",
        views.subscription_secret,
        name="subscription_secret",
    ),
    path(
        "webhooks/<int:subscription_id>/rotate/",
        views.subscription_rotate,
        name="subscription_rotate",
    ),
    path("webhooks/<int:subscription_id>/ping/", views.subscription_ping, name="subscription_ping"),
    path(
        "webhooks/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="subscription_delete",
    ),
    path("export/", views_import.export_index, name="export_index"),
    path("export/tasks.csv", views_import.export_tasks, name="export_tasks"),
    path("export/okrs.csv", views_import.export_okrs, name="export_okrs"),
    path("import/tasks/", views_import.import_tasks_upload, name="import_tasks_upload"),
    path("import/okrs/", views_import.import_okrs_upload, name="import_okrs_upload"),
    path(
        "import/okrs/template.csv",
        views_import.import_okrs_template,
        name="import_okrs_template",
    ),
    path("import/jira/", views_import.import_jira_upload, name="import_jira_upload"),
    path("import/<int:import_job_id>/", views_import.import_progress, name="import_progress"),
    path("import/<int:import_job_id>/mapping/", views_import.import_mapping, name="import_mapping"),
    path("import/<int:import_job_id>/preview/", views_import.import_preview, name="import_preview"),
    path("import/<int:import_job_id>/commit/", views_import.import_commit, name="import_commit"),
    path("digest/", digest_views.digest_preview, name="digest"),
    path("slack/link/", slack_link_views.slack_link, name="slack_link"),
]
