"""Input shapes of the custom-field pages; no writes (services do those)."""

from __future__ import annotations

from typing import Any

from django import forms

from alignment.models import Membership, Team
from customfields.models import CustomField, FieldKind


class FieldForm(forms.Form):
    name = forms.CharField(max_length=60)
    kind = forms.ChoiceField(label="Type", choices=FieldKind.choices)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Every team",
        help_text="A team's field shows only on that team's tasks.",
    )
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="For selects: one option per line.",
    )
    description = forms.CharField(max_length=200, required=False)
    show_on_cards = forms.BooleanField(label="Show on cards", required=False)

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.visible_to(viewer).order_by("name")

    def option_labels(self) -> list[str]:
        return [line for line in self.cleaned_data.get("options", "").splitlines() if line.strip()]


class FieldEditForm(forms.Form):
    name = forms.CharField(max_length=60)
    description = forms.CharField(max_length=200, required=False)
    show_on_cards = forms.BooleanField(label="Show on cards", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class OptionForm(forms.Form):
    label = forms.CharField(max_length=60)


def value_initial(field: CustomField, value: Any) -> Any:
    """What a form input shows for a field's API value."""
    if value is None:
        return ""
    return value


class ValuesForm(forms.Form):
    """One input per field of a task; cleaning is the service's (it names the field)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        fields: list[CustomField],
        initial_values: dict[int, Any] | None = None,
        people: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        initial_values = initial_values or {}
        self.custom_fields = fields
        for field in fields:
            name = f"cf_{field.pk}"
            initial = value_initial(field, initial_values.get(field.pk))
            form_field: forms.Field
            options = [(o.pk, o.label) for o in field.options.all() if not o.is_archived]
            if field.kind == FieldKind.SELECT:
                form_field = forms.TypedChoiceField(
                    choices=[("", "—"), *options], coerce=int, required=False, empty_value=None
                )
            elif field.kind == FieldKind.MULTI_SELECT:
                form_field = forms.TypedMultipleChoiceField(
                    choices=options,
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            elif field.kind == FieldKind.PERSON:
                form_field = forms.TypedChoiceField(
                    choices=[("", "Nobody"), *(people or [])],
                    coerce=int,
                    required=False,
                    empty_value=None,
                )
            elif field.kind == FieldKind.DATE:
                form_field = forms.CharField(
                    required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            elif field.kind == FieldKind.NUMBER:
                form_field = forms.CharField(
                    required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            elif field.kind == FieldKind.URL:
                form_field = forms.CharField(
                    required=False, widget=forms.URLInput(attrs={"placeholder": "https://"})
                )
            else:
                form_field = forms.CharField(required=False, max_length=500)
            form_field.label = field.name
            form_field.initial = initial
            self.fields[name] = form_field

    def focus_first(self) -> None:
        """Autofocus the first field with an error, else the first field: htmx focuses it once
        the form is swapped in, so a keyboard user types straight into the form they opened
        (the element that had the focus, the Edit link or Save, is gone with the swap)."""
        names = [name for name in self.fields if name.startswith("cf_")]
        wanted = next((name for name in names if name in self.errors), names[0] if names else None)
        if wanted is not None:
            self.fields[wanted].widget.attrs["autofocus"] = True

    def raw_values(self) -> dict[int, Any]:
        """field id → the raw value typed (the service checks it)."""
        return {field.pk: self.cleaned_data.get(f"cf_{field.pk}") for field in self.custom_fields}
