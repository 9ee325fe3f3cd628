"""Attachment pages, under /w/<slug>/."""

from django.urls import path

from attachments import views

app_name = "attachments"
urlpatterns = [
    path("tasks/<str:key>/attachments/", views.task_attachments, name="task_attachments"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="download"),
    path("attachments/<int:attachment_id>/delete/", views.attachment_delete, name="delete"),
]
