"""Single sign-on pages: the admins' settings, "Sign in with SSO", and the IdP's callback."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest
from alignment.models import Membership, Role, User, Workspace
from alignment.tenancy import workspace_view
from alignment.views.settings_base import add_field_errors, see_other_to, settings_context
from sso import services
from sso.errors import NoConnection, SsoError, StateMismatch
from sso.forms import SsoConnectionForm, SsoLoginForm
from sso.models import SsoConnection

SESSION_KEY = "sso_attempts"
# Sign-ins a browser may have in flight at once (several tabs); older ones are forgotten.
MAX_ATTEMPTS = 3
# The session's marker of how the person logged in (two-factor skips SSO log-ins).
LOGIN_METHOD_KEY = "login_method"


# --- settings (workspace admins) -----------------------------------------------------------


def _settings_form(
    request: WorkspaceRequest, connection: SsoConnection | None
) -> SsoConnectionForm:
    owners = User.objects.filter(
        memberships__workspace=request.workspace,
        memberships__role=Role.OWNER,
        is_active=True,
    ).order_by("email")
    initial: dict[str, Any] = {"is_enabled": True, "auto_join": True, "default_role": Role.MEMBER}
    if connection is not None:
        initial = {
            "issuer": connection.issuer,
            "client_id": connection.client_id,
            "allowed_domains": ", ".join(connection.allowed_domains),
            "is_enabled": connection.is_enabled,
            "auto_join": connection.auto_join,
            "default_role": connection.default_role,
            "is_required": connection.is_required,
            "break_glass_user": connection.break_glass_user_id,
            "version": connection.version,
        }
    return SsoConnectionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=owners,
        has_secret=bool(connection and connection.client_secret),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def sso_settings(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The workspace's OpenID Connect provider: what to register there, and how people join."""
    connection = SsoConnection.objects.for_workspace(workspace).first()
    form = _settings_form(request, connection)
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_save(
                actor=request.membership,
                expected_version=form.cleaned_data.pop("version"),
                **form.cleaned_data,
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, "Single sign-on settings saved.")
            return see_other_to("sso:settings", workspace)
    context = settings_context(
        request,
        "sso",
        form=form,
        connection=connection,
        redirect_uri=request.build_absolute_uri(reverse("sso_login:callback")),
        identity_count=connection.identities.count() if connection else 0,
    )
    status = 422 if request.method == "POST" else 200
    return render(request, "sso/settings.html", context, status=status)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def sso_delete(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    connection = SsoConnection.objects.for_workspace(workspace).first()
    if connection is None:
        raise NoConnection(what=workspace.name)
    services.connection_delete(actor=request.membership, connection=connection)
    messages.success(request, "Single sign-on is removed. Members log in with passwords again.")
    return see_other_to("sso:settings", workspace)


# --- signing in ----------------------------------------------------------------------------


def _failure(request: HttpRequest, exc: SsoError) -> HttpResponse:
    return render(request, "sso/error.html", {"error": exc}, status=exc.status)


def _safe_next(request: HttpRequest, url: str) -> str:
    ok = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and ok and url.startswith("/") else ""


@never_cache
@require_http_methods(["GET", "POST"])
def sso_login(request: HttpRequest) -> HttpResponse:
    """Find the workspace's IdP by e-mail domain or workspace slug, and send the browser there."""
    data = request.POST if request.method == "POST" else None
    if data is None and request.GET.get("workspace"):  # a bookmarkable "sign in to acme" link
        data = {"email_or_workspace": request.GET["workspace"]}  # type: ignore[assignment]
    form = SsoLoginForm(data)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if data is not None and form.is_valid():
        try:
            connection = services.connection_for_login(
                email_or_workspace=form.cleaned_data["email_or_workspace"]
            )
            url, attempt = services.login_begin(
                connection=connection,
                redirect_uri=request.build_absolute_uri(reverse("sso_login:callback")),
                next_url=_safe_next(request, next_url),
                now=timezone.now(),
            )
        except NoConnection as exc:
            form.add_error("email_or_workspace", exc.text)
        except SsoError as exc:
            return _failure(request, exc)
        else:
            attempts = dict(request.session.get(SESSION_KEY, {}))
            attempts[attempt.state] = attempt.as_session()
            request.session[SESSION_KEY] = dict(list(attempts.items())[-MAX_ATTEMPTS:])
            if request.method == "GET":
                return HttpResponseRedirect(url)
            # Our CSP's `form-action 'self'` also covers the redirects that answer a form, so
            # a 302 to the IdP would be blocked; a page that moves on (meta refresh, and a
            # link without it) is a navigation of its own, not the form's.
            leaving = {"url": url, "workspace_name": connection.workspace.name}
            return render(request, "sso/redirect.html", leaving)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "next": next_url}
    return render(request, "sso/login.html", context, status=status)


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The IdP's redirect back: check state, redeem the code, verify the ID token, log in."""
    attempts = dict(request.session.get(SESSION_KEY, {}))
    stored = attempts.pop(request.GET.get("state", ""), None)
    request.session[SESSION_KEY] = attempts  # single use, whatever happens next
    try:
        attempt = _attempt_from(stored)
        signed_in = services.login_complete(
            attempt=attempt,
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            error_description=request.GET.get("error_description", ""),
            current_user=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
            now=timezone.now(),
        )
    except SsoError as exc:
        return _failure(request, exc)
    # The IdP did its own checks (MFA included): no second step here.
    login(request, signed_in.user, backend="alignment.auth_backends.EmailBackend")
    request.session[LOGIN_METHOD_KEY] = "sso"
    if signed_in.joined:
        messages.success(request, _joined_message(signed_in.membership))
    next_url = _safe_next(request, attempt.next_url)
    return redirect(next_url or signed_in.membership.workspace.get_absolute_url())


def _attempt_from(stored: object) -> services.Attempt:
    """The attempt this state started; an unknown state, or one kept by an older release in
    another shape, is a mismatch rather than an error."""
    if not isinstance(stored, dict):
        raise StateMismatch()
    try:
        return services.Attempt(**stored)
    except TypeError as exc:
        raise StateMismatch() from exc


def _joined_message(membership: Membership) -> str:
    return f"Welcome to {membership.workspace.name}: you joined as {membership.get_role_display()}."
