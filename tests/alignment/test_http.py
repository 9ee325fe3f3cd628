"""alignment.http's form-error helpers: a service's refusal shown on the form it came from."""

from __future__ import annotations

from django import forms

from alignment.errors import Conflict, FieldErrors
from alignment.http import add_domain_error, add_field_errors


class NameForm(forms.Form):
    name = forms.CharField()


def bound_form() -> NameForm:
    form = NameForm({"name": "Roadmap"})
    assert form.is_valid()
    return form


def test_field_errors_go_on_their_field_and_unknown_fields_form_wide():
    form = bound_form()
    add_field_errors(form, FieldErrors({"name": "Taken.", "colour": ["Pick one.", "Too red."]}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Pick one.", "Too red."]


def test_field_errors_alone_leave_a_refusal_without_fields_unshown():
    form = bound_form()
    add_field_errors(form, Conflict("Someone else got there first."))
    assert form.errors == {}


def test_a_domain_error_without_fields_is_shown_form_wide():
    form = bound_form()
    add_domain_error(form, Conflict("Someone else got there first."))
    assert form.non_field_errors() == ["Someone else got there first."]
    assert "name" not in form.errors


def test_a_domain_error_with_fields_is_shown_on_them_without_its_summary():
    form = bound_form()
    add_domain_error(form, FieldErrors({"name": "Taken."}, "Some fields need attention."))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == []
