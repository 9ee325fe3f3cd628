"""Settings: personal API tokens. The raw value is shown once, on the page after creating it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import services
from alignment.errors import FieldErrors
from alignment.forms import ApiTokenForm
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    paginate,
    query_without,
    see_other_to,
    settings_context,
)
from alignment.models import ApiToken, Role, TokenScope, Workspace
from alignment.tenancy import workspace_view

# Where the raw token waits between the POST and the page that shows it (once).
SESSION_KEY = "new_api_token"


def _form(request: WorkspaceRequest) -> ApiTokenForm:
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if not request.membership.has_role(Role.MEMBER):
        scope = form.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = [(TokenScope.READ.value, TokenScope.READ.label)]
        scope.help_text = "Viewers can create read-only tokens."
    return form


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def token_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Your tokens and the form for a new one; admins also see everyone's tokens."""
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_create(actor=request.membership, **form.cleaned_data)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            request.session[SESSION_KEY] = {
                "id": token.pk,
                "workspace_id": workspace.pk,
                "raw": raw,
            }
            return see_other_to("workspace:token_created", workspace)
    tokens = ApiToken.objects.for_workspace(workspace).order_by("-created_at", "-pk")
    own = paginate(request, tokens.filter(user=request.user))
    everyone = None
    if request.membership.has_role(Role.ADMIN):
        everyone = paginate(request, tokens.select_related("user"), param="all_page")
    context = settings_context(
        request,
        "tokens",
        form=form,
        page=own,
        everyone=everyone,
        keep=query_without(request, "page"),
        keep_all=query_without(request, "all_page"),
    )
    status = form_status(request)
    return render(request, "settings/tokens.html", context, status=status)


@never_cache
@require_GET
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def token_created(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Show the new token's raw value, once: it leaves the session as it is shown."""
    pending = request.session.pop(SESSION_KEY, None)
    token = None
    if pending and pending.get("workspace_id") == workspace.pk:
        token = (
            ApiToken.objects.for_workspace(workspace)
            .filter(pk=pending.get("id"), user=request.user)
            .first()
        )
    if token is None:
        messages.info(
            request,
            "A token's value is shown only once, right after it is created. "
            "If you lost it, revoke it and create a new one.",
        )
        return see_other_to("workspace:tokens", workspace)
    return render(
        request,
        "settings/token_created.html",
        settings_context(request, "tokens", token=token, raw=pending["raw"]),
    )


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def token_revoke(request: WorkspaceRequest, workspace: Workspace, token_id: int) -> HttpResponse:
    """Revoke your own token, or (admins) anyone's."""
    token = get_object_or_404(
        ApiToken.objects.for_workspace(workspace).select_related("user"), pk=token_id
    )
    services.api_token_revoke(actor=request.membership, token=token)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked.")
    return see_other_to("workspace:tokens", workspace)
