"""Single sign-on pages: the admins' settings, "Sign in with SSO", and the IdP's callback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    see_other,
    see_other_to,
    settings_context,
)
from alignment.models import Membership, Role, User, Workspace
from alignment.tenancy import workspace_view
from sso import saml, saml_services, services
from sso.admission import SignedIn
from sso.errors import NoConnection, SsoError, StateMismatch
from sso.forms import SsoConnectionForm, SsoLoginForm
from sso.models import SsoConnection, new_sp_id

SESSION_KEY = "sso_attempts"
# The SAML request ids this browser started (their answers are kept server-side).
SAML_SESSION_KEY = "sso_saml_requests"
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
    initial: dict[str, Any] = {
        "is_enabled": True,
        "auto_join": True,
        "default_role": Role.MEMBER,
        # A new SAML connection's URLs must be known before saving (the IdP asks for them
        # before it hands out its metadata): the name is chosen now and kept on save.
        "sp_id": new_sp_id(),
    }
    if connection is not None:
        initial = {
            "protocol": connection.protocol,
            "saml_metadata_url": connection.saml_metadata_url,
            "saml_metadata_xml": (
                "" if connection.saml_metadata_url else connection.saml_metadata_xml
            ),
            "saml_email_attribute": connection.saml_email_attribute,
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
        sp=saml_services.service_provider(
            connection or SsoConnection(sp_id=form["sp_id"].value() or new_sp_id()),
            base_url=_base_url(request),
        ),
        identity_count=connection.identities.count() if connection else 0,
    )
    status = form_status(request)
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
            if connection.is_saml:
                return _saml_begin(request, connection, _safe_next(request, next_url))
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
            # Our CSP's `form-action 'self'` also covers the redirects that answer a form, so
            # a 302 to the IdP would be blocked; a page that moves on (meta refresh, and a
            # link without it) is a navigation of its own, not the form's.
            return _leave_for(request, url, connection)
    status = form_status(request)
    context = {"form": form, "next": next_url}
    return render(request, "sso/login.html", context, status=status)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _leave_for(request: HttpRequest, url: str, connection: SsoConnection) -> HttpResponse:
    """Go to the IdP: a redirect for a link, a page that moves on for a form (whose redirects
    our CSP's `form-action 'self'` would block)."""
    if request.method == "GET":
        return HttpResponseRedirect(url)
    leaving = {"url": url, "workspace_name": connection.workspace.name}
    return render(request, "sso/redirect.html", leaving)


def _saml_begin(request: HttpRequest, connection: SsoConnection, next_url: str) -> HttpResponse:
    try:
        url, request_id = saml_services.login_begin(
            connection=connection,
            base_url=_base_url(request),
            next_url=next_url,
            now=timezone.now(),
        )
    except SsoError as exc:
        return _failure(request, exc)
    # The session remembers which requests this browser started: the ACS's answer is bound
    # to it when the browser comes back (saml_complete).
    started = [*request.session.get(SAML_SESSION_KEY, []), request_id]
    request.session[SAML_SESSION_KEY] = started[-MAX_ATTEMPTS:]
    return _leave_for(request, url, connection)


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
    return _logged_in(request, signed_in, attempt.next_url)


def _logged_in(request: HttpRequest, signed_in: SignedIn, next_url: str) -> HttpResponse:
    # The IdP did its own checks (MFA included): no second step here.
    login(request, signed_in.user, backend="alignment.auth_backends.EmailBackend")
    request.session[LOGIN_METHOD_KEY] = "sso"
    if signed_in.joined:
        messages.success(request, _joined_message(signed_in.membership))
    next_url = _safe_next(request, next_url)
    return redirect(next_url or signed_in.membership.workspace.get_absolute_url())


# --- SAML: our metadata, the ACS, and the browser's return ---------------------------------


@require_GET
def saml_metadata(request: HttpRequest, sp_id: str) -> HttpResponse:
    """Our SP metadata for the IdP (entity id, ACS URL); public, like every SP's."""
    try:
        connection = saml_services.connection_by_sp_id(sp_id)
        xml = saml.sp_metadata_xml(
            saml_services.service_provider(connection, base_url=_base_url(request))
        )
    except SsoError as exc:
        return _failure(request, exc)
    return HttpResponse(xml, content_type="application/samlmetadata+xml; charset=utf-8")


@csrf_exempt  # a cross-site POST by design: the signed Response and its stored request
@never_cache  # protect it instead (see saml_services)
@require_POST
def saml_acs(request: HttpRequest, sp_id: str) -> HttpResponse:
    """The IdP's HTTP-POST answer: verify it, then send the browser on with its session."""
    try:
        connection = saml_services.connection_by_sp_id(sp_id)
        request_id = saml_services.acs_receive(
            connection=connection,
            base_url=_base_url(request),
            saml_response=request.POST.get("SAMLResponse", ""),
            now=timezone.now(),
        )
    except SsoError as exc:
        return _failure(request, exc)
    # A 303 turns the POST into a top-level GET, which carries our SameSite=Lax session.
    return see_other(f"{reverse('sso_login:saml_complete')}?{urlencode({'request': request_id})}")


@never_cache
@require_GET
def saml_complete(request: HttpRequest) -> HttpResponse:
    """Sign in the identity the ACS verified, if this browser's session started the request."""
    request_id = request.GET.get("request", "")
    started = list(request.session.get(SAML_SESSION_KEY, []))
    bound = bool(request_id) and request_id in started
    if bound:
        started.remove(request_id)
        request.session[SAML_SESSION_KEY] = started  # single use, whatever happens next
    try:
        if not bound:  # another browser's answer (login CSRF), or one used already
            raise StateMismatch()
        signed_in, next_url = saml_services.login_complete(
            request_id=request_id,
            current_user=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
            now=timezone.now(),
        )
    except SsoError as exc:
        return _failure(request, exc)
    return _logged_in(request, signed_in, next_url)


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
