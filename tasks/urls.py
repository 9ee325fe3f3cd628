"""Work pages, under /w/<slug>/: boards, backlog, planning, workflow, tasks, my work, search."""

from django.urls import path

from tasks.saved_views import pages as saved_views
from tasks.views import (
    backlog,
    board,
    inline,
    quick,
    shaping,
    sprints,
    task_pages,
    work,
    workflow,
)

app_name = "tasks"
urlpatterns = [
    path("boards/", board.board_list, name="boards"),
    path("teams/<int:team_id>/board/", board.sprint_board, name="board"),
    path("teams/<int:team_id>/backlog/", backlog.backlog, name="backlog"),
    path("teams/<int:team_id>/backlog/bulk/", backlog.backlog_bulk, name="backlog_bulk"),
    path("teams/<int:team_id>/planning/", backlog.sprint_planning, name="planning"),
    path("teams/<int:team_id>/sprints/", sprints.sprint_list, name="sprints"),
    path("teams/<int:team_id>/sprints/new/", sprints.sprint_new, name="sprint_new"),
    path("teams/<int:team_id>/sprints/<int:sprint_id>/", sprints.sprint_detail, name="sprint"),
    path(
        "teams/<int:team_id>/sprints/<int:sprint_id>/edit/",
        sprints.sprint_edit,
        name="sprint_edit",
    ),
    path(
        "teams/<int:team_id>/sprints/<int:sprint_id>/start/",
        sprints.sprint_start,
        name="sprint_start",
    ),
    path(
        "teams/<int:team_id>/sprints/<int:sprint_id>/delete/",
        sprints.sprint_delete,
        name="sprint_delete",
    ),
    path(
        "teams/<int:team_id>/sprints/<int:sprint_id>/close/",
        sprints.sprint_close,
        name="sprint_close",
    ),
    path("teams/<int:team_id>/workflow/", workflow.workflow_settings, name="workflow"),
    path(
        "teams/<int:team_id>/workflow/<int:workflow_state_id>/",
        workflow.workflow_state_edit,
        name="workflow_state",
    ),
    path("tasks/new/", task_pages.task_new, name="task_new"),
    path("tasks/similar/", task_pages.similar_tasks, name="similar"),
    path("tasks/picker/", shaping.picker, name="picker"),
    path("tasks/<str:key>/", task_pages.task_detail, name="task"),
    path("tasks/<str:key>/edit/", task_pages.task_edit, name="task_edit"),
    path("tasks/<str:key>/card/", board.task_card, name="card"),
    path("tasks/<str:key>/move/", board.task_move, name="move"),
    path("tasks/<str:key>/quick-edit/", board.task_quick_edit, name="quick_edit"),
    path("tasks/<str:key>/fields/<str:field>/", inline.task_field, name="field"),
    path("tasks/<str:key>/fields/<str:field>/edit/", inline.task_field_edit, name="field_edit"),
    path("tasks/<str:key>/preview/", inline.description_preview, name="preview"),
    path("tasks/<str:key>/shortcut/<str:name>/", quick.task_field, name="shortcut"),
    path("tasks/<str:key>/archive/", quick.task_archive, name="archive"),
    path("tasks/<str:key>/delete/", quick.task_delete, name="delete"),
    path("teams/<int:team_id>/archived/", quick.archived_list, name="archived"),
    path("teams/<int:team_id>/archived/<str:key>/restore/", quick.task_restore, name="restore"),
    path("undo/", quick.undo_change, name="undo"),
    path("tasks/<str:key>/comments/", task_pages.comment_add, name="comment_add"),
    path("tasks/<str:key>/align/", task_pages.task_align, name="align"),
    path("tasks/<str:key>/not-duplicate/", task_pages.not_duplicate, name="not_duplicate"),
    path("tasks/<str:key>/merge/", task_pages.task_merge, name="merge"),
    path("tasks/<str:key>/subtasks/", shaping.subtask_add, name="subtask_add"),
    path("tasks/<str:key>/parent/", shaping.parent_set, name="parent_set"),
    path("tasks/<str:key>/dependencies/", shaping.dependency_add, name="dependency_add"),
    path(
        "tasks/<str:key>/dependencies/<int:task_dependency_id>/remove/",
        shaping.dependency_remove,
        name="dependency_remove",
    ),
    path("views/", saved_views.saved_view_list, name="saved_views"),
    path("views/<int:saved_view_id>/", saved_views.saved_view_detail, name="saved_view"),
    path("views/<int:saved_view_id>/edit/", saved_views.saved_view_edit, name="saved_view_edit"),
    path(
        "views/<int:saved_view_id>/delete/",
        saved_views.saved_view_delete,
        name="saved_view_delete",
    ),
    path(
        "views/<int:saved_view_id>/archive/",
        saved_views.saved_view_archive,
        name="saved_view_archive",
    ),
    path(
        "views/<int:saved_view_id>/restore/",
        saved_views.saved_view_restore,
        name="saved_view_restore",
    ),
    path("my-work/", work.my_work, name="my_work"),
    path("search/", work.search, name="search"),
]
