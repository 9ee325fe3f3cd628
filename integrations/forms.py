"""Input shapes for the integrations pages. Secrets use password inputs that never echo back."""

from __future__ import annotations

from django import forms

from integrations.models import Provider
from integrations.webhooks import event_type_choices

PROVIDER_CHOICES = [
    (Provider.GITHUB.value, Provider.GITHUB.label),
    (Provider.GITLAB.value, Provider.GITLAB.label),
    (Provider.SLACK.value, Provider.SLACK.label),
]
RULE_CHOICES = [
    ("", "Do nothing"),
    ("started", "Move to an In progress state"),
    ("done", "Move to a Done state"),
]


def _secret_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=255,
        strip=True,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class IntegrationCreateForm(forms.Form):
    provider = forms.ChoiceField(choices=PROVIDER_CHOICES)
    name = forms.CharField(max_length=100, help_text="E.g. the repository or Slack workspace.")
    secret = _secret_field(
        "Secret",
        "GitHub/GitLab: leave empty and we generate one. Slack: the app's signing secret.",
    )
    bot_token = _secret_field("Slack bot token", "Slack only: xoxb-… for sending messages.")


class IntegrationEditForm(forms.Form):
    name = forms.CharField(max_length=100)
    active = forms.BooleanField(required=False, help_text="Paused integrations refuse deliveries.")
    bot_token = _secret_field("Slack bot token", "Leave empty to keep the current token.")
    pr_opened = forms.ChoiceField(
        choices=RULE_CHOICES, required=False, label="When a PR/MR naming a task opens"
    )
    pr_merged = forms.ChoiceField(
        choices=RULE_CHOICES, required=False, label="When a PR/MR naming a task is merged"
    )
    digest_channel = forms.CharField(
        max_length=80,
        required=False,
        label="Slack digest channel",
        help_text="Slack only: the channel ID (C0123ABCD) the weekly leader digest goes to; "
        "empty for none. Invite the bot to it.",
    )
    # Deployments → DORA (integrations.deployment_settings); GitHub and GitLab only.
    deploy_environments = forms.CharField(
        max_length=500,
        required=False,
        label="Production environments",
        help_text="GitHub/GitLab: environment names whose deployments count for DORA, "
        "comma-separated. Empty: production, prod.",
    )
    deploy_workflows = forms.CharField(
        max_length=500,
        required=False,
        label="Deploy workflows",
        help_text="GitHub: a completed run on the default branch counts as a deployment when "
        "its workflow's name contains one of these words. Empty: deploy.",
    )
    deploy_repositories = forms.CharField(
        max_length=5000,
        required=False,
        label="Repositories → teams",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One 'owner/repo = TEAM' per line: whose deployments a repository's are.",
    )
    deploy_team = forms.CharField(
        max_length=10,
        required=False,
        label="Default team for deployments",
        help_text="A team key, for deployments whose repository and commits name no team.",
    )


class RotateSecretForm(forms.Form):
    secret = _secret_field(
        "New secret", "GitHub/GitLab: leave empty to generate one. Slack: paste the new one."
    )


class SubscriptionForm(forms.Form):
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=event_type_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(required=False, initial=True)
