"""The rule form: name, scope and trigger as fields; conditions and actions as structured rows
(automation.pickers) with a picker per value, checked by the same catalog as the API plus the
workspace (a picked state, person or key result must exist here), with a message per row."""

from __future__ import annotations

from typing import Any

from django import forms

from alignment.errors import FieldErrors
from alignment.models import Membership, Team
from automation import catalog, pickers
from automation.models import Rule, Trigger
from automation.pickers import Pickers, Row


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Whole workspace"
    )
    trigger = forms.ChoiceField(choices=Trigger.choices)
    every_minutes = forms.IntegerField(
        required=False, label="Every (minutes)", help_text="Only for the schedule trigger."
    )

    def __init__(
        self,
        data: Any = None,
        *,
        viewer: Membership,
        rule: Rule | None = None,
        **kwargs: Any,
    ) -> None:
        if rule is not None and data is None:
            kwargs.setdefault(
                "initial",
                {
                    "name": rule.name,
                    "team": rule.team_id,
                    "trigger": rule.trigger,
                    "every_minutes": rule.every_minutes,
                },
            )
        super().__init__(data, **kwargs)
        self.fields["team"].queryset = Team.objects.visible_to(viewer)  # type: ignore[attr-defined]
        self.pickers = Pickers.for_viewer(viewer)
        if data is not None:
            self.condition_rows = pickers.rows_from(data, "condition")
            self.action_rows = pickers.rows_from(data, "action")
            wanted = data.get("add")
            if wanted in pickers.PREFIX:  # "Add a condition/action" without JavaScript
                self.add_row(wanted)
        elif rule is not None:
            self.condition_rows = pickers.rows_of(rule.conditions, "condition")
            self.action_rows = pickers.rows_of(rule.actions, "action")
        else:
            self.condition_rows, self.action_rows = [], []
            self.add_row("action")  # a rule needs one: start with its row

    @classmethod
    def for_rule(cls, rule: Rule, viewer: Membership) -> RuleForm:
        return cls(viewer=viewer, rule=rule)

    @property
    def adding(self) -> bool:
        """The post only asked for another row: show the form again, save nothing."""
        return self.is_bound and self.data.get("add") in pickers.PREFIX

    def add_row(self, what: str) -> Row:
        rows = self.condition_rows if what == "condition" else self.action_rows
        every = self.condition_rows + self.action_rows
        row = Row(what, max((r.index for r in every), default=-1) + 1)
        rows.append(row)
        return row

    @property
    def drawn_conditions(self) -> list[tuple[Row, list[pickers.Widget]]]:
        return pickers.drawn(self.condition_rows, self.pickers)

    @property
    def drawn_actions(self) -> list[tuple[Row, list[pickers.Widget]]]:
        return pickers.drawn(self.action_rows, self.pickers)

    def service_data(self) -> dict[str, Any]:
        """The cleaned rule for the services; FieldErrors names every list with a bad row."""
        data = self.cleaned_data
        problems: dict[str, list[str]] = {}
        cleaned: dict[str, list[dict[str, Any]]] = {}
        for what, rows in (("conditions", self.condition_rows), ("actions", self.action_rows)):
            try:
                cleaned[what] = pickers.clean_rows(rows, self.pickers)
            except FieldErrors as exc:
                problems.update(exc.fields)
        if not self.action_rows:
            problems.setdefault("actions", []).append("A rule needs at least one action.")
        if problems:
            raise FieldErrors(problems)
        return {
            "name": data["name"],
            "team": data["team"],
            "trigger": data["trigger"],
            "every_minutes": data["every_minutes"],
            "conditions": cleaned["conditions"],
            "actions": cleaned["actions"],
        }


def describe(items: list[dict[str, Any]]) -> list[str]:
    return [catalog.describe(item) for item in items]
