"""The review rules form: one row of choices per team, built from the team's own states."""

from __future__ import annotations

from django import forms

from alignment.models import Team
from integrations import review_rules
from integrations.review_rules import TeamRules
from tasks.models import WorkflowState

RULE_LABELS = {
    review_rules.REVIEW_REQUESTED: "When a review is requested",
    review_rules.CHANGES_REQUESTED: "When changes are requested",
    review_rules.APPROVED: "When the PR/MR is approved",
    review_rules.CLOSED_UNMERGED: "When it is closed without merging",
}
NOTHING = {
    review_rules.REVIEW_REQUESTED: "Do nothing",
    review_rules.CHANGES_REQUESTED: "Do nothing",
    review_rules.APPROVED: "Note it on the task only",
}


def field_name(team: Team, rule: str) -> str:
    return f"team_{team.pk}_{rule}"


class ReviewRulesForm(forms.Form):
    """Fields `team_<id>_<rule>`; `rows()` groups them per team for the template."""

    def __init__(
        self,
        *args: object,
        teams: list[Team],
        states: dict[int, list[WorkflowState]],
        current: dict[int, TeamRules],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.teams = teams
        for team in teams:
            state_choices = [(str(s.pk), s.name) for s in states.get(team.pk, [])]
            initial = current[team.pk].as_dict()
            for rule in review_rules.STATE_RULES:
                self.fields[field_name(team, rule)] = forms.ChoiceField(
                    label=RULE_LABELS[rule],
                    choices=[("", NOTHING[rule]), *state_choices],
                    required=False,
                    initial=initial[rule],
                )
            self.fields[field_name(team, review_rules.CLOSED_UNMERGED)] = forms.ChoiceField(
                label=RULE_LABELS[review_rules.CLOSED_UNMERGED],
                choices=list(review_rules.CLOSED_CHOICES.items()),
                initial=initial[review_rules.CLOSED_UNMERGED],
            )

    def rows(self) -> list[tuple[Team, list[forms.BoundField]]]:
        return [
            (team, [self[field_name(team, rule)] for rule in RULE_LABELS]) for team in self.teams
        ]

    def team_data(self, team: Team) -> dict[str, str]:
        return {rule: self.cleaned_data.get(field_name(team, rule), "") for rule in RULE_LABELS}
