"""Members of a workspace that requires two-factor are sent to set it up, page by page.

Only pages under /w/<slug>/ are checked, and only for members of that workspace: anyone else
gets the page's own 404, so the rule leaks nothing about other workspaces. The API is not
checked (tokens are not logins; see docs/security.md). The rule is cached per workspace, so
a page of a workspace without it costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from alignment.models import Membership
from twofactor import selectors

WORKSPACE_PAGE_PREFIX = "w/<slug:slug>/"
# Set by sso/ on sessions started through the identity provider, which did its own checks
# (MFA included): such a session satisfies the rule. Read by name to keep the apps apart.
SSO_SESSION_KEY, SSO_METHOD = "login_method", "sso"


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        slug = view_kwargs.get("slug")
        if (
            not slug
            or match is None
            or not match.route.startswith(WORKSPACE_PAGE_PREFIX)
            or not request.user.is_authenticated
            or request.session.get(SSO_SESSION_KEY) == SSO_METHOD
            or not selectors.workspace_requires_two_factor(slug)
        ):
            return None
        membership = (
            Membership.objects.filter(workspace__slug=slug, user=request.user)
            .select_related("workspace")
            .first()
        )
        if membership is None or selectors.has_two_factor(request.user.pk):
            return None
        messages.warning(
            request,
            f"{membership.workspace.name} requires two-factor authentication. Set it up "
            "to continue: it takes a minute with an authenticator app.",
        )
        url = f"{reverse('twofactor:setup')}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)
