"""Input shapes of the shaping forms on the task page: sub-tasks, parent, dependencies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from tasks.models import parse_key
from tasks.selectors import TaskDetail
from tasks.shaping import subtask_progress

KEY_HELP = "A task key such as ENG-12."


def clean_key(value: str) -> str:
    """An upper-case task key, or a clear message: nothing is looked up before the shape fits."""
    parsed = parse_key(value)
    if parsed is None:
        raise forms.ValidationError(f"“{value.strip()[:24]}” is not a task key. {KEY_HELP}")
    return f"{parsed[0]}-{parsed[1]}"


class SubtaskForm(forms.Form):
    title = forms.CharField(max_length=255, label="Sub-task title")
    estimate = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=4, decimal_places=1, label="Points"
    )


class ParentForm(forms.Form):
    """The parent by key; empty makes the task top-level again."""

    parent = forms.CharField(required=False, max_length=24, label="Parent", help_text=KEY_HELP)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_parent(self) -> str:
        value: str = self.cleaned_data.get("parent", "")
        return clean_key(value) if value.strip() else ""


class DependencyForm(forms.Form):
    DIRECTIONS = [("blocked_by", "Blocked by"), ("blocks", "Blocks")]
    direction = forms.ChoiceField(choices=DIRECTIONS, initial="blocked_by", label="This task is")
    other = forms.CharField(max_length=24, label="Task", help_text="Type a key or a title.")

    def clean_other(self) -> str:
        return clean_key(self.cleaned_data.get("other", ""))


def shaping_section(detail: TaskDetail, **bound: forms.Form) -> dict[str, Any]:
    """The context of the shaping section (tasks/_shaping.html); `bound` forms replace the
    blank ones, to show their errors."""
    task = detail.task
    return {
        "subtask_progress": subtask_progress(detail.subtasks),
        "subtask_form": bound.get("subtask_form") or SubtaskForm(),
        "parent_form": bound.get("parent_form")
        or ParentForm(
            initial={"parent": task.parent.key if task.parent else "", "version": task.version}
        ),
        "dependency_form": bound.get("dependency_form") or DependencyForm(),
    }
