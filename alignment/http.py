"""Request types for views, and the page helpers every app's views share (the one home for
303 redirects, htmx partial detection, form errors, pagination and the page context)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role, User, Workspace

PAGE_SIZE = 50


class AuthedRequest(HttpRequest):
    """A request behind login_required: `user` is a real User."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class WorkspaceRequest(AuthedRequest):
    """A request inside @workspace_view: the workspace and the member's role are resolved."""

    workspace: Workspace
    membership: Membership


def page_context(request: WorkspaceRequest, **extra: Any) -> dict[str, Any]:
    """What every workspace page needs: the workspace, the member and what the member may do."""
    membership = request.membership
    return {
        "workspace": request.workspace,
        "me": membership,
        "can": {
            "write": membership.has_role(Role.MEMBER),
            "admin": membership.has_role(Role.ADMIN),
            "owner": membership.has_role(Role.OWNER),
        },
        **extra,
    }


def settings_context(request: WorkspaceRequest, section: str, **extra: Any) -> dict[str, Any]:
    """A settings page's context: the page context plus the active tab."""
    return page_context(request, section=section, **extra)


def paginate(
    request: WorkspaceRequest, queryset: QuerySet, *, param: str = "page", per_page: int = PAGE_SIZE
) -> Page:
    """One COUNT and one slice, whatever the page number; bad numbers fall back to a real page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def query_without(request: WorkspaceRequest, param: str) -> str:
    """The current query string minus one parameter, for pagination links that keep filters."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


def add_field_errors(form: forms.Form, exc: DomainError) -> None:
    """Show a service's field errors on the form; unknown fields become form-wide errors."""
    for field, messages in exc.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show any refusal of a service on the form: on its fields, or its text form-wide when it
    names no field (a field-less refusal would otherwise leave the form silently unsaved)."""
    if not exc.fields:
        form.add_error(None, exc.text)
    add_field_errors(form, exc)


def form_status(request: HttpRequest, default: int = 200) -> int:
    """The status of a page that shows a form: 422 when a POSTed form comes back with its
    errors (htmx swaps it, and a test or client can tell it was refused), else `default`."""
    return 422 if request.method == "POST" else default


def is_partial(request: WorkspaceRequest) -> bool:
    """An htmx request that swaps a fragment (a history restore wants the full page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def see_other(location: str) -> HttpResponseRedirect:
    """303: after a POST the browser GETs the next page, so reload never re-submits."""
    response = HttpResponseRedirect(location)
    response.status_code = 303
    return response


def see_other_with(
    request: HttpRequest,
    location: str,
    *,
    success: str = "",
    error: DomainError | str | None = None,
) -> HttpResponseRedirect:
    """303 after a POST with one flash message: the error's if there is one (a DomainError's
    field messages joined, else its text), else `success` (if any)."""
    if isinstance(error, FieldErrors) and error.fields:
        error = " ".join(sum(error.fields.values(), []))
    elif isinstance(error, DomainError):
        error = error.text
    if error:
        flash.error(request, error)
    elif success:
        flash.success(request, success)
    return see_other(location)


def see_other_to(name: str, workspace: Workspace, **kwargs: Any) -> HttpResponseRedirect:
    """303 to a named workspace URL."""
    return see_other(reverse(name, kwargs={"slug": workspace.slug, **kwargs}))
