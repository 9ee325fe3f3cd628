"""Input shapes for the OKR pages. No writes happen here: the views pass cleaned data to
`okrs.services`, whose FieldErrors come back onto these forms as field messages.

Choices (periods, teams, people, parents) are scoped to the workspace by the view, so an id
from elsewhere is "not one of the available choices", never a lookup outside the workspace.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from alignment.models import Membership, Role, Team, User, Workspace
from okrs.models import (
    KeyResult,
    KeyResultKind,
    KeyResultSource,
    Objective,
    ObjectiveLevel,
    ObjectiveStatus,
    Period,
)

NO_CHOICE = "Not one of this workspace's choices."


def members_of(workspace: Workspace) -> QuerySet[User]:
    """Active people of the workspace, by name."""
    return User.objects.filter(
        pk__in=Membership.objects.for_workspace(workspace).values("user_id"), is_active=True
    ).order_by("full_name", "email")


def _plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and never in exponent form: 40.000 is 40, not the
    `4E+1` that `normalize()` gives (a number field showed it as written)."""
    return Decimal(f"{value.normalize():f}")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ObjectiveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.period.name})"


def _smart_live(form: forms.Form, review_url: str | None) -> None:
    """Every visible input asks for a SMART review while the person types (htmx, debounced);
    the form (not the input) names the target, so hx-target is inherited."""
    if not review_url:
        return
    for field in form.fields.values():
        if field.widget.is_hidden:
            continue
        field.widget.attrs.update(
            {"hx-post": review_url, "hx-trigger": "input changed delay:500ms"}
        )


class KeyResultChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} (a key result of “{obj.objective.title}”)"


WEIGHT_ERRORS = {
    "invalid": "Enter a weight as a number, e.g. 1 or 0.5.",
    "min_value": "A weight cannot be negative: use 0 to keep it aligned without counting.",
    "max_value": "Use a weight of at most 9999.99.",
    "max_decimal_places": "Use at most two decimals, e.g. 0.25.",
    "max_digits": "Use a weight between 0 and 9999.99.",
    "max_whole_digits": "Use a weight between 0 and 9999.99.",
}


class ObjectiveForm(forms.Form):
    # How it counts (parent, parent key result, weight) reads as one group.
    field_order = [
        "title",
        "description",
        "period",
        "level",
        "team",
        "owner",
        "status",
        "parent",
        "parent_key_result",
        "weight",
    ]

    title = forms.CharField(
        max_length=200,
        help_text="An outcome people remember, e.g. “Make onboarding effortless for new teams”.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000
    )
    period = forms.ModelChoiceField(
        queryset=Period.objects.none(), error_messages={"invalid_choice": NO_CHOICE}
    )
    level = forms.ChoiceField(choices=ObjectiveLevel.choices, initial=ObjectiveLevel.TEAM)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="No team",
        error_messages={"invalid_choice": NO_CHOICE},
        help_text="Needed for a team objective.",
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet",
        error_messages={"invalid_choice": NO_CHOICE},
    )
    parent = ObjectiveChoiceField(
        queryset=Objective.objects.none(),
        required=False,
        label="Aligned under",
        empty_label="Not aligned (a top-level objective)",
        error_messages={"invalid_choice": NO_CHOICE},
    )
    status = forms.ChoiceField(
        choices=[(ObjectiveStatus.ACTIVE, "Active"), (ObjectiveStatus.DRAFT, "Draft")],
        initial=ObjectiveStatus.ACTIVE,
    )
    parent_key_result = KeyResultChoiceField(
        queryset=KeyResult.objects.none(),
        required=False,
        label="Counts through",
        empty_label="The objective above, directly (beside its key results)",
        error_messages={"invalid_choice": NO_CHOICE},
        help_text=(
            "Optional: a key result of the objective above that is measured by aligned "
            "objectives. This objective then counts in that key result only, not beside it."
        ),
    )
    weight = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal("9999.99"),
        decimal_places=2,
        initial=Decimal(1),
        error_messages=WEIGHT_ERRORS,
        help_text=(
            "How much this objective counts in the one it is aligned under: its share is its "
            "weight over the total weight of that objective's key results and aligned "
            "objectives (or, through a key result, of the objectives aligned to it). "
            "0 keeps it aligned without counting."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        objective: Objective | None = None,
        review_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        workspace = membership.workspace
        periods = Period.objects.for_workspace(workspace).filter(closed_at__isnull=True)
        self._field("period").queryset = periods.order_by("-start", "-id")
        self._field("team").queryset = Team.objects.visible_to(membership).order_by("name")
        self._field("owner").queryset = members_of(workspace)
        parents = (
            Objective.objects.for_workspace(workspace)
            .live()
            .filter(period__closed_at__isnull=True)
            .select_related("period")
            .order_by("period__start", "title")
        )
        if objective is not None:
            parents = parents.exclude(pk=objective.pk)
        self._field("parent").queryset = parents
        # Only key results that roll up aligned objectives can take one.
        self._field("parent_key_result").queryset = (
            KeyResult.objects.for_workspace(workspace)
            .filter(source=KeyResultSource.CHILDREN, objective__in=parents)
            .select_related("objective")
            .order_by("objective__title", "position", "id")
        )
        if not membership.has_role(Role.ADMIN) and not (
            objective is not None and objective.level == ObjectiveLevel.COMPANY
        ):
            level = self.fields["level"]
            assert isinstance(level, forms.ChoiceField)
            level.choices = [c for c in ObjectiveLevel.choices if c[0] != ObjectiveLevel.COMPANY]
            level.help_text = "Company objectives are written by admins."
        if objective is None:
            del self.fields["version"]
        _smart_live(self, review_url)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent, key_result = data.get("parent"), data.get("parent_key_result")
        if key_result is not None and parent is not None and key_result.objective_id != parent.pk:
            self.add_error(
                "parent_key_result",
                f"Pick a key result of “{parent.title}”, the objective this one is aligned "
                "under, or leave it empty to count there directly.",
            )
        return data

    def _field(self, name: str) -> forms.ModelChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    @staticmethod
    def initial_for(objective: Objective) -> dict[str, Any]:
        return {
            "title": objective.title,
            "description": objective.description,
            "period": objective.period_id,
            "level": objective.level,
            "team": objective.team_id,
            "owner": objective.owner_id,
            "parent": objective.parent_id,
            "parent_key_result": objective.parent_key_result_id,
            "status": objective.status,
            "weight": objective.weight,
            "version": objective.version,
        }


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Milestone steps, one per line: "Title" or "Title | weight"."""
    steps = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        title, _, weight = line.partition("|")
        step: dict[str, Any] = {"title": title.strip()}
        if weight.strip():
            step["weight"] = weight.strip()
        steps.append(step)
    return steps


def steps_text(milestones: Any) -> str:
    lines = []
    for step in milestones or []:
        if isinstance(step, dict):
            weight = step.get("weight", 1)
            lines.append(step.get("title", "") + (f" | {weight:g}" if weight != 1 else ""))
    return "\n".join(lines)


class KeyResultForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="A number that proves the objective, e.g. “NPS from 31 to 45”."
    )
    kind = forms.ChoiceField(choices=KeyResultKind.choices, initial=KeyResultKind.NUMBER)
    unit = forms.CharField(max_length=20, required=False, help_text="%, €, users, ms…")
    baseline = forms.DecimalField(
        required=False, initial=0, help_text="Where you start (numbers only)."
    )
    target = forms.DecimalField(required=False, help_text="Where you arrive by the period end.")
    current = forms.DecimalField(
        required=False, help_text="Today's value; empty means the baseline."
    )
    milestones = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Steps",
        help_text="Milestones only: one step per line, optionally “Step | weight”.",
    )
    source = forms.ChoiceField(choices=KeyResultSource.choices, initial=KeyResultSource.MANUAL)
    weight = forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal("9999.99"), decimal_places=2, initial=Decimal(1)
    )
    confidence = forms.IntegerField(
        min_value=0, max_value=10, initial=5, help_text="0 = no chance, 10 = certain."
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet",
        error_messages={"invalid_choice": NO_CHOICE},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        workspace: Workspace,
        key_result: KeyResult | None = None,
        review_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = members_of(workspace)
        if key_result is None:
            del self.fields["version"]
        else:
            # The value and confidence change through check-ins, which keep the history.
            del self.fields["current"]
            del self.fields["confidence"]
        _smart_live(self, review_url)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") in (KeyResultKind.NUMBER, "percentage", "currency"):
            if data.get("target") is None and "target" not in self.errors:
                self.add_error("target", "Set the value to reach by the end of the period.")
            if data.get("baseline") is None and "baseline" not in self.errors:
                data["baseline"] = Decimal(0)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """Cleaned data in the shape `key_result_create/update` take."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        kind = data["kind"]
        data["milestones"] = (
            parse_steps(data.get("milestones", "")) if kind == KeyResultKind.MILESTONE else None
        )
        if kind in (KeyResultKind.BOOLEAN, KeyResultKind.MILESTONE):
            data.pop("baseline", None)
            data.pop("target", None)
        if "current" in data and kind == KeyResultKind.BOOLEAN and data["current"] is None:
            data["current"] = 0
        return data

    @staticmethod
    def initial_for(kr: KeyResult) -> dict[str, Any]:
        return {
            "title": kr.title,
            "kind": kr.kind,
            "unit": kr.unit,
            "baseline": _plain(kr.baseline),
            "target": _plain(kr.target),
            "milestones": steps_text(kr.milestones),
            "source": kr.source,
            "weight": kr.weight,
            "owner": kr.owner_id,
            "version": kr.version,
        }


class ConfidenceForm(forms.Form):
    """A check-in's confidence and note. On its own, the check-in of a KR whose progress is
    measured (linked work, aligned objectives): no value ("Update confidence" on the page)."""

    confidence = forms.IntegerField(
        min_value=0,
        max_value=10,
        label="Confidence (0–10)",
        help_text="How sure are you of reaching the target by the end of the period?",
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1}),
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        help_text="What moved, what blocks the work. The progress itself comes from the work.",
    )

    def __init__(self, *args: Any, key_result: KeyResult, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_kr{key_result.pk}_%s")
        kwargs.setdefault("initial", {"confidence": key_result.confidence})
        super().__init__(*args, **kwargs)
        self.key_result = key_result

    def service_kwargs(self) -> dict[str, Any]:
        return {"confidence": self.cleaned_data["confidence"], "note": self.cleaned_data["note"]}


class CheckInForm(ConfidenceForm):
    """A check-in with the KR's new value (a number, done, or the milestone steps done)."""

    field_order = ["value", "done", "steps_done", "confidence", "note"]

    value = forms.DecimalField(required=False, label="New value")
    done = forms.BooleanField(required=False, label="Done")
    steps_done = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Steps done", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, key_result: KeyResult, **kwargs: Any) -> None:
        super().__init__(*args, key_result=key_result, **kwargs)
        self.fields["note"].help_text = "What moved, what blocks you."
        steps = key_result.milestones if key_result.kind == KeyResultKind.MILESTONE else []
        if key_result.kind == KeyResultKind.BOOLEAN:
            del self.fields["value"], self.fields["steps_done"]
            self.initial.setdefault("done", key_result.current >= 1)
        elif steps:
            del self.fields["value"], self.fields["done"]
            field = self.fields["steps_done"]
            assert isinstance(field, forms.TypedMultipleChoiceField)
            field.choices = [(i, s.get("title", f"Step {i + 1}")) for i, s in enumerate(steps)]
            self.initial.setdefault("steps_done", [i for i, s in enumerate(steps) if s.get("done")])
        elif key_result.kind == KeyResultKind.MILESTONE:
            del self.fields["value"], self.fields["steps_done"]
            self.initial.setdefault("done", key_result.current >= 1)
        else:
            del self.fields["done"], self.fields["steps_done"]
            value = self.fields["value"]
            value.required = True
            value.label = f"New value{f' ({key_result.unit})' if key_result.unit else ''}"
            value.help_text = (
                f"From {key_result.baseline.normalize():f} to {key_result.target.normalize():f}; "
                f"now {key_result.current.normalize():f}."
            )
            self.initial.setdefault("value", _plain(key_result.current))

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = super().service_kwargs()
        if "done" in self.fields:
            kwargs["value"] = 1 if data.get("done") else 0
        elif "steps_done" in self.fields:
            kwargs["steps_done"] = list(data.get("steps_done") or [])
        else:
            kwargs["value"] = data["value"]
        return kwargs


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Add a comment"
    )


class PeriodForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="e.g. “2026 Q3”.")
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="The last day, included."
    )


class PeriodCloseForm(forms.Form):
    carry_over = forms.BooleanField(required=False, label="Carry unfinished key results over")
    next_period = forms.ModelChoiceField(
        queryset=Period.objects.none(),
        required=False,
        label="Into",
        error_messages={"invalid_choice": NO_CHOICE},
    )

    def __init__(self, *args: Any, period: Period, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["next_period"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Period.objects.for_workspace(period.workspace_id)
            .filter(closed_at__isnull=True, start__gte=period.end)
            .exclude(pk=period.pk)
            .order_by("start", "id")
        )
