"""Custom error pages: short, human, and never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from alignment.api_errors import error_body

API_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 500: "server_error"}
API_MESSAGES = {
    400: "The request was not understood.",
    403: "You do not have permission to do that.",
    404: "Not found: no such address or object in this workspace.",
    500: "Something broke on our side. It has been logged; please try again in a moment.",
}

MESSAGES = {
    400: "The request was not understood. Check the address or the form and try again.",
    403: "You do not have permission to do that here. Ask a workspace admin for a higher role.",
    404: "There is nothing here. It may have been deleted, or it is not in your workspaces.",
    500: "Something broke on our side. It has been logged; please try again in a moment.",
}


def is_api(request: HttpRequest) -> bool:
    """Answers under /api/ are JSON whatever went wrong, even before a view was found."""
    return request.path.startswith("/api/") and not request.path.startswith("/api/docs")


def _api_error(status: int, message: str | None = None) -> JsonResponse:
    return JsonResponse(
        error_body(API_CODES[status], message or API_MESSAGES[status]), status=status
    )


def _render(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    if is_api(request):
        return _api_error(status, message)
    return render(
        request,
        "error.html",
        {"status": status, "message": message or MESSAGES[status]},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else None
    return _render(request, 403, message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _api_error(500)
    # No context processors that touch the database: the 500 page must render when it is down.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
