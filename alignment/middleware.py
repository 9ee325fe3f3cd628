"""Cross-cutting HTTP behaviour: the CSP header, the time zone pages show and turning
DomainErrors into pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import retarget

from alignment import timezones
from alignment.errors import DomainError


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API docs UI (sidecar assets) is the one page that needs inline styles.
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class DomainErrorMiddleware:
    """A DomainError raised by a page view becomes a flash message with its status.

    htmx requests get the `_flash.html` partial retargeted to #flash; full pages render the
    error page with the message, so nothing ever surfaces as a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if getattr(request, "htmx", False):
            response = render(
                request,
                "_flash.html",
                {"flash_errors": [exception.text]},
                status=exception.status,
            )
            return retarget(response, "#flash")
        messages.error(request, exception.text)
        return render(
            request,
            "error.html",
            {"status": exception.status, "message": exception.text},
            status=exception.status,
        )


class TimeZoneMiddleware:
    """Pages show instants in the viewer's zone; the API always answers in UTC.

    The person's own zone is activated here; a workspace page refines it to the workspace's
    zone (for people without their own) once `workspace_view` has resolved the workspace. The
    zone is always reset after the response, so a thread never carries one request's zone into
    the next.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timezones.for_workspace():
            if not request.path.startswith("/api/"):
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated and getattr(user, "time_zone", ""):
                    timezones.activate_for_request(request, None)
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()
