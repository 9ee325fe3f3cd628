"""Settings → Provisioning (SCIM): the workspace's SCIM tokens (admin). Shown once, revocable."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    paginate,
    query_without,
    see_other_to,
    settings_context,
)
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from scim import services
from scim.forms import ScimTokenForm
from scim.models import ScimToken

# Where the raw token waits between the POST and the page that shows it (once).
SESSION_KEY = "new_scim_token"


def _base_url(request: WorkspaceRequest, workspace: Workspace) -> str:
    return request.build_absolute_uri(
        reverse("scim:config", kwargs={"slug": workspace.slug})
    ).removesuffix("/ServiceProviderConfig")


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def scim_token_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The workspace's SCIM tokens, the tenant URL to give the provider, and a new-token form."""
    form = ScimTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.scim_token_create(
                actor=request.membership, name=form.cleaned_data["name"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            request.session[SESSION_KEY] = {
                "id": token.pk,
                "workspace_id": workspace.pk,
                "raw": raw,
            }
            return see_other_to("scim_settings:token_created", workspace)
    tokens = ScimToken.objects.for_workspace(workspace).select_related("created_by")
    context = settings_context(
        request,
        "scim",
        form=form,
        page=paginate(request, tokens.order_by("-created_at", "-pk")),
        keep=query_without(request, "page"),
        base_url=_base_url(request, workspace),
    )
    status = form_status(request)
    return render(request, "scim/tokens.html", context, status=status)


@never_cache
@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def scim_token_created(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Show the new token's raw value, once: it leaves the session as it is shown."""
    pending = request.session.pop(SESSION_KEY, None)
    token = None
    if pending and pending.get("workspace_id") == workspace.pk:
        token = ScimToken.objects.for_workspace(workspace).filter(pk=pending.get("id")).first()
    if token is None:
        messages.info(
            request,
            "A SCIM token's value is shown only once, right after it is created. "
            "If you lost it, revoke it and create a new one.",
        )
        return see_other_to("scim_settings:tokens", workspace)
    context = settings_context(
        request, "scim", token=token, raw=pending["raw"], base_url=_base_url(request, workspace)
    )
    return render(request, "scim/token_created.html", context)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def scim_token_revoke(
    request: WorkspaceRequest, workspace: Workspace, scim_token_id: int
) -> HttpResponse:
    """Revoke a SCIM token: the provider's next request is refused."""
    token = get_object_or_404(ScimToken.objects.for_workspace(workspace), pk=scim_token_id)
    services.scim_token_revoke(actor=request.membership, token=token)
    messages.success(request, f"SCIM token “{token.name}” ({token.prefix}…) is revoked.")
    return see_other_to("scim_settings:tokens", workspace)
