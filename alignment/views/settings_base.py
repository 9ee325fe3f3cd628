"""Small helpers shared by the workspace settings pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace

PAGE_SIZE = 50


def paginate(
    request: WorkspaceRequest, queryset: QuerySet, *, param: str = "page", per_page: int = PAGE_SIZE
) -> Page:
    """One COUNT and one slice, whatever the page number; bad numbers fall back to a real page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def settings_context(request: WorkspaceRequest, section: str, **extra: Any) -> dict[str, Any]:
    """What every settings page needs: the workspace, the active tab and what the member may do."""
    membership = request.membership
    return {
        "workspace": request.workspace,
        "me": membership,
        "section": section,
        "can": {
            "write": membership.has_role(Role.MEMBER),
            "admin": membership.has_role(Role.ADMIN),
            "owner": membership.has_role(Role.OWNER),
        },
        **extra,
    }


def add_field_errors(form: forms.Form, exc: FieldErrors) -> None:
    """Show a service's field errors on the form; unknown fields become form-wide errors."""
    for field, messages in exc.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def query_without(request: WorkspaceRequest, param: str) -> str:
    """The current query string minus one parameter, for pagination links that keep filters."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


def see_other(url: str) -> HttpResponseRedirect:
    """303: after a POST the browser GETs the next page, so reload never re-submits."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def see_other_to(name: str, workspace: Workspace, **kwargs: Any) -> HttpResponseRedirect:
    return see_other(reverse(name, kwargs={"slug": workspace.slug, **kwargs}))
