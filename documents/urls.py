"""Document pages, under /w/<slug>/documents/."""

from django.urls import path

from documents import editor_views, views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("import/", views.document_import, name="import"),
    path("<int:document_id>/", views.document_page, name="document"),
    path("<int:document_id>/rename/", views.document_rename, name="rename"),
    path("<int:document_id>/move/", views.document_move, name="move"),
    path("<int:document_id>/archive/", views.document_archive, name="archive"),
    path("<int:document_id>/delete/", views.document_delete, name="delete"),
    path("<int:document_id>/history/", views.document_history, name="history"),
    path(
        "<int:document_id>/history/<int:version_id>/restore/",
        views.version_restore,
        name="restore",
    ),
    path("<int:document_id>/preview/", editor_views.document_preview, name="preview"),
    path("<int:document_id>/comments/", editor_views.document_comments, name="comments"),
    path(
        "<int:document_id>/comments/<int:comment_id>/resolve/",
        editor_views.comment_resolve,
        name="comment_resolve",
    ),
    path("<int:document_id>/export.md", views.document_export, {"fmt": "md"}, name="export_md"),
    path(
        "<int:document_id>/export.html", views.document_export, {"fmt": "html"}, name="export_html"
    ),
]
