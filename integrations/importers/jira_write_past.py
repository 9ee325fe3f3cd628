"""Writing what `jira_past` and `jira_attachments` planned: closed sprints, each task's
back-dated history, and the zip's files through the attachment store. Called by `jira_write`
inside the import's one transaction; a refusal raises and rolls everything back."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from alignment.errors import DomainError
from alignment.models import Membership, Team
from attachments.services import attachments_add
from integrations.importers.base import RowFailed, error_text
from integrations.importers.jira_past import PlannedClosedSprint
from integrations.importers.jira_preview import IssuePreview, JiraPreview
from integrations.models import ImportJobFile
from tasks.models import Sprint, SprintStatus, Task
from tasks.services.history_import import PastMoment, sprint_import_closed, task_history_import


def closed_sprints(
    actor: Membership, teams: dict[str, Team], checked: JiraPreview
) -> dict[tuple[str, str], Sprint]:
    """(team key, name) -> the closed sprint: recreated, or one an earlier import made."""
    found = {
        (sprint.team.key, sprint.name): sprint
        for sprint in Sprint.objects.for_workspace(actor.workspace)
        .filter(status=SprintStatus.CLOSED)
        .select_related("team")
    }
    planned: PlannedClosedSprint
    for team_key, planned in checked.closed_sprints:
        if (team_key, planned.name) in found:
            continue
        try:
            found[(team_key, planned.name)] = sprint_import_closed(
                actor=actor,
                team=teams[team_key],
                name=planned.name,
                start_date=planned.start_date,
                end_date=planned.end_date,
                closed_at=planned.closed_at,
                goal=planned.goal,
            )
        except DomainError as error:
            raise RowFailed(planned.name, f"Sprint {planned.name}: {error_text(error)}") from error
    return found


def history(
    actor: Membership,
    task: Task,
    issue: IssuePreview,
    closed: dict[tuple[str, str], Sprint],
) -> None:
    past = issue.past
    if past is None or not past.steps:
        return
    team_key = task.team.key

    def sprint(name: str) -> Sprint | None:
        return closed.get((team_key, name)) if name else None

    task_history_import(
        actor=actor,
        task=task,
        moments=[
            PastMoment(
                at=s.at, category=s.category, state_name=s.state_name, sprint=sprint(s.sprint)
            )
            for s in past.steps
        ],
        created_at=past.created_at,
        closed_sprint=sprint(past.closed_sprint),
        via="Jira",
    )


def attachments(actor: Membership, task: Task, issue: IssuePreview) -> None:
    """The issue's files from the upload's zip, stored as the task's attachments."""
    if not issue.attachments:
        return
    contents = dict(
        ImportJobFile.objects.for_workspace(actor.workspace_id)
        .filter(pk__in=[a.file_id for a in issue.attachments])
        .values_list("pk", "content")
    )
    files = [
        SimpleUploadedFile(a.name, bytes(contents[a.file_id]))
        for a in issue.attachments
        if a.file_id in contents
    ]
    batch = settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD
    for start in range(0, len(files), batch):
        attachments_add(actor=actor, task=task, files=files[start : start + batch])
