"""Input shapes for the workspace core's HTML forms. No writes happen here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet

from alignment.models import Role, Team, TokenScope, User


class LoginForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SignUpForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )
    workspace_name = forms.CharField(
        max_length=100, label="Workspace name", help_text="Usually your company or group."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            probe = User(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(data["password"], probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=50, required=False, help_text="Used in links. Leave empty to derive it."
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    key = forms.CharField(
        max_length=10, help_text="2–10 capitals, used in task keys such as ENG-123."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text="A guest sees and works only in the teams chosen below.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Teams (guests only)",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose teams of this workspace."},
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["teams"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = teams


class TeamPrivacyForm(forms.Form):
    is_private = forms.BooleanField(required=False, label="Private team")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TeamMemberForm(forms.Form):
    """Pick a workspace member who is not on the team yet; the choices are scoped by the view."""

    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Person",
        empty_label="Choose a member of the workspace",
        error_messages={"invalid_choice": "Choose a member of this workspace who is not on it."},
    )

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = users


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]
    name = forms.CharField(max_length=100)
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, initial="90"
    )


class ZoneInput(forms.TextInput):
    """A text box suggesting the IANA zone names (a datalist rendered once by the template)."""

    def __init__(self) -> None:
        super().__init__(attrs={"list": "zone-names", "autocomplete": "off", "spellcheck": "false"})


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label="Your time zone",
        widget=ZoneInput(),
        help_text="How times are shown to you, e.g. America/Los_Angeles. Empty follows each"
        " workspace's zone. Sprint days and charts always use the workspace's zone.",
    )


class WorkspaceTimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        label="Workspace time zone",
        widget=ZoneInput(),
        help_text="An IANA name such as Europe/Berlin. Decides “today”, when a sprint"
        " day starts and ends, and the days of every chart.",
    )


class AuditRetentionForm(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=1,
        label="Keep audit events for (days)",
        help_text="At least 30 days. Leave empty to keep everything (the default).",
    )
