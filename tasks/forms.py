"""Input shapes for the work pages. Every choice is scoped to the workspace; no writes here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast

from alignment.dates import range_error
from alignment.models import Membership, Team, User, Workspace
from roadmaps.models import CLOSED_ITEM_STATUSES, RoadmapItem
from tasks.models import (
    Label,
    Priority,
    Sprint,
    SprintStatus,
    StateCategory,
    Task,
    WorkflowState,
)

DATE = forms.DateInput(attrs={"type": "date"})


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class SprintField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.team.key} · {obj.name} ({obj.get_status_display().lower()})"


class NewTaskStateField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.team.name} · {obj.name}"


class RoadmapItemField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.roadmap.name} · {obj.title}"


def choice_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """A form's model choice field, typed (to scope its queryset per workspace)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def people_of(workspace: Workspace) -> Any:
    return User.objects.filter(memberships__workspace=workspace, is_active=True).order_by(
        "full_name", "email"
    )


def team_people(workspace: Workspace, team: Team) -> Any:
    """Active workspace members who are members of `team`, by name."""
    return people_of(workspace).filter(teams=team)


def open_items_of(viewer: Membership, current: RoadmapItem | None = None) -> Any:
    """Open roadmap items `viewer` may see (and the task's current one), to align work to."""
    qs = RoadmapItem.objects.visible_to(viewer).select_related("roadmap")
    wanted = ~Q(status__in=sorted(CLOSED_ITEM_STATUSES))
    if current is not None:
        wanted |= Q(pk=current.pk)
    return qs.filter(wanted).order_by("roadmap__name", "start_date", "title")


class TaskForm(forms.Form):
    """Create (with a team) or edit (with the task's team and its version) a task."""

    title = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"autofocus": True}))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown: **bold**, lists, `code`, links.",
    )
    state = forms.ModelChoiceField(queryset=WorkflowState.objects.none(), empty_label=None)
    assignee = PersonField(queryset=User.objects.none(), required=False, empty_label="Nobody")
    estimate = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=4, decimal_places=1, label="Points"
    )
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=0)
    labels = forms.ModelMultipleChoiceField(
        queryset=Label.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    due_date = forms.DateField(required=False, widget=DATE)
    sprint = SprintField(queryset=Sprint.objects.none(), required=False, empty_label="Backlog")
    roadmap_item = RoadmapItemField(
        queryset=RoadmapItem.objects.none(),
        required=False,
        empty_label="Unaligned",
        label="Roadmap item",
        help_text="What this work moves: the line to the key results goes through it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, viewer: Membership, task: Task | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        workspace = viewer.workspace
        choice_field(self, "assignee").queryset = people_of(workspace)
        choice_field(self, "labels").queryset = Label.objects.for_workspace(workspace).order_by(
            "name"
        )
        sprints = Sprint.objects.visible_to(viewer).select_related("team")
        choice_field(self, "roadmap_item").queryset = open_items_of(
            viewer, task.roadmap_item if task else None
        )
        if task is None:
            teams = Team.objects.visible_to(viewer)
            choice_field(self, "team").queryset = teams
            choice_field(self, "sprint").queryset = sprints.exclude(status=SprintStatus.CLOSED)
            # Any state of a team the member sees, named with its team; the service refuses a
            # state of another team than the one chosen. Blank: the team's default column.
            state = self.fields["state"] = NewTaskStateField(
                queryset=WorkflowState.objects.for_workspace(workspace)
                .filter(team__in=teams)
                .select_related("team")
                .order_by("team__name", "position", "pk"),
                required=False,
                empty_label="The team's first column",
                help_text="Optional: a state of the chosen team.",
            )
            state.label = "State"
            del self.fields["version"]
        else:
            del self.fields["team"]
            choice_field(self, "state").queryset = WorkflowState.objects.for_workspace(
                workspace
            ).filter(team_id=task.team_id)
            team_sprints = sprints.filter(team_id=task.team_id)
            open_or_current = team_sprints.exclude(status=SprintStatus.CLOSED)
            if task.sprint_id:
                open_or_current = open_or_current | team_sprints.filter(pk=task.sprint_id)
            choice_field(self, "sprint").queryset = open_or_current
            self.fields["version"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, state = data.get("team"), data.get("state")
        if team is not None and state is not None and state.team_id != team.pk:
            self.add_error("state", f"Choose a state of {team.name}, or leave it blank.")
        return data

    @classmethod
    def initial_for(cls, task: Task, label_ids: list[int]) -> dict[str, Any]:
        return {
            "title": task.title,
            "description": task.description,
            "state": task.state_id,
            "assignee": task.assignee_id,
            "estimate": task.estimate,
            "priority": task.priority,
            "labels": label_ids,
            "due_date": task.due_date,
            "sprint": task.sprint_id,
            "roadmap_item": task.roadmap_item_id,
            "version": task.version,
        }


class FieldForm(TaskForm):
    """One field of an existing task, edited in place: the same validation and scoped choices
    as the Edit page, narrowed to `field`, plus the version the editor started from and the
    value it showed (`original`, a fingerprint) to tell whose change a stale save met."""

    original = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    place = forms.ChoiceField(
        choices=[("page", "page"), ("panel", "panel")], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, viewer: Membership, task: Task, field: str, **kwargs: Any):
        kwargs.setdefault("auto_id", "inline-%s")
        super().__init__(*args, viewer=viewer, task=task, **kwargs)
        keep = (field, "version", "original", "place")
        self.fields = {name: self.fields[name] for name in keep}
        widget = self.fields[field].widget
        if not isinstance(widget, forms.CheckboxSelectMultiple):
            widget.attrs["autofocus"] = True
        if isinstance(widget, forms.Textarea):
            widget.attrs["rows"] = 8
        self.field_name = field


class QuickEditForm(forms.Form):
    """Assignee and points from a board card."""

    assignee = PersonField(queryset=User.objects.none(), required=False, empty_label="Nobody")
    estimate = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=4, decimal_places=1, label="Points"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "assignee").queryset = people_of(workspace)


class MoveForm(forms.Form):
    """A drop: where the card lands (its neighbours' keys), optionally another column."""

    state = forms.IntegerField(required=False, min_value=1)
    after = forms.CharField(required=False, max_length=24)
    before = forms.CharField(required=False, max_length=24)
    version = forms.IntegerField(min_value=1)


class BulkForm(forms.Form):
    """Backlog bulk actions: one action on the checked tasks. The task ids come as a plain
    list (`tasks`), checked against the workspace by the bulk service, all or nothing."""

    ACTIONS = [
        ("sprint", "Move to sprint"),
        ("assign", "Assign to"),
        ("label", "Add label"),
        ("estimate", "Set points"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    sprint = forms.ModelChoiceField(queryset=Sprint.objects.none(), required=False)
    assignee = PersonField(queryset=User.objects.none(), required=False, empty_label="Nobody")
    label = forms.ModelChoiceField(queryset=Label.objects.none(), required=False)
    estimate = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=4, decimal_places=1, label="Points"
    )

    def __init__(self, *args: Any, workspace: Workspace, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "sprint").queryset = (
            Sprint.objects.for_workspace(workspace)
            .filter(team=team)
            .exclude(status=SprintStatus.CLOSED)
        )
        choice_field(self, "assignee").queryset = people_of(workspace)
        choice_field(self, "label").queryset = Label.objects.for_workspace(workspace)

    def show_choices(self) -> None:
        """Fill the three choice lists for display from one query (the page's budget);
        validation still checks a posted value against each field's scoped queryset."""
        sprint, assignee, label = (choice_field(self, n) for n in ("sprint", "assignee", "label"))
        sprints, people, labels = sprint.queryset, assignee.queryset, label.queryset
        assert sprints is not None
        assert people is not None
        assert labels is not None
        blank = Value("")
        # No ORDER BY inside a UNION (SQLite refuses it); sorted below instead.
        rows = (
            sprints.order_by()
            .values_list(Value("sprint"), "pk", "name", blank, Cast("start_date", CharField()))
            .union(
                people.order_by().values_list(Value("person"), "pk", "full_name", "email", blank),
                labels.order_by().values_list(Value("label"), "pk", "name", blank, blank),
                all=True,
            )
        )
        found: dict[str, list[tuple[Any, ...]]] = {"sprint": [], "person": [], "label": []}
        for kind, pk, name, email, start in rows:
            found[kind].append((pk, name, email, start))
        by_start = sorted(found["sprint"], key=lambda r: (r[3], r[0]))
        by_name = sorted(found["person"], key=lambda r: (r[1], r[2], r[0]))
        sprint.choices = [("", "---------")] + [(r[0], r[1]) for r in by_start]
        assignee.choices = [("", "Nobody")] + [
            (r[0], r[1] or r[2].split("@")[0])
            for r in by_name  # User.display_name
        ]
        label.choices = [("", "---------")] + [
            (r[0], r[1]) for r in sorted(found["label"], key=lambda r: (r[1], r[0]))
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        needed = {"sprint": "sprint", "label": "label", "estimate": "estimate"}.get(action or "")
        if needed and data.get(needed) in (None, ""):
            self.add_error(needed, "Choose a value for this action.")
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        label="Comment",
        help_text="Markdown; @name mentions a member.",
    )


class AlignForm(forms.Form):
    roadmap_item = RoadmapItemField(queryset=RoadmapItem.objects.none(), label="Roadmap item")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "roadmap_item").queryset = open_items_of(viewer)


class OtherTaskForm(forms.Form):
    """A second task by key: "not a duplicate of" / "merge into"."""

    other = forms.CharField(max_length=24)


class WorkflowStateForm(forms.Form):
    name = forms.CharField(max_length=40)
    category = forms.ChoiceField(choices=StateCategory.choices)
    wip_limit = forms.IntegerField(required=False, min_value=1, label="WIP limit")
    position = forms.IntegerField(required=False, min_value=0)


class CapacityForm(forms.Form):
    user = PersonField(queryset=User.objects.none(), label="Person", empty_label=None)
    points = forms.DecimalField(min_value=Decimal(0), max_digits=6, decimal_places=1)

    def __init__(self, *args: Any, workspace: Workspace, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Capacity is planned for the team's members only (the service refuses anyone else).
        choice_field(self, "user").queryset = team_people(workspace, team)


class SprintForm(forms.Form):
    """A sprint's plan: name, dates, goal, and one capacity field per member of its team."""

    name = forms.CharField(max_length=100, error_messages={"required": "Give the sprint a name."})
    start_date = forms.DateField(
        label="Starts", widget=DATE, error_messages={"required": "Choose the first day."}
    )
    end_date = forms.DateField(
        label="Ends",
        widget=DATE,
        help_text="The last day, included.",
        error_messages={"required": "Choose the last day."},
    )
    goal = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Optional."
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        for user in members:
            self.fields[self.capacity_field(user)] = forms.DecimalField(
                label=f"{user.display_name}: capacity (points)",
                required=False,
                min_value=Decimal(0),
                max_value=Decimal("99999"),
                max_digits=6,
                decimal_places=1,
            )

    @staticmethod
    def capacity_field(user: User) -> str:
        return f"capacity_{user.pk}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bad_range = range_error(data.get("start_date"), data.get("end_date"))
        if bad_range:
            self.add_error("end_date", bad_range)
        return data

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "start_date", "end_date", "goal")]

    def capacity_fields(self) -> list[forms.BoundField]:
        return [self[self.capacity_field(user)] for user in self.members]

    def capacities(self) -> dict[User, Decimal | None]:
        """Each member's capacity as entered; a blank field clears it."""
        return {user: self.cleaned_data.get(self.capacity_field(user)) for user in self.members}
