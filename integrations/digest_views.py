"""The weekly digest's preview page for admins, with a "send me a test" button.

GET  /w/<slug>/integrations/digest/             the page: recipients, Slack channel, the e-mail
GET  /w/<slug>/integrations/digest/?part=email  the e-mail's HTML alone, for the page's iframe
POST /w/<slug>/integrations/digest/             e-mail this week's digest to the asking admin

The e-mail carries inline styles (mail clients need them) that the app's CSP forbids, so the
page shows it in a sandboxed iframe whose document gets its own, narrower policy.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from alignment.errors import DomainError
from alignment.http import WorkspaceRequest, see_other_to, settings_context
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from integrations import digest, digest_slack

# The iframe's document: its own inline styles, nothing else, framed by our own pages only.
EMAIL_FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


class UnknownPart(DomainError):
    status, code = 400, "unknown_part"
    message = "Ask for part=email or no part at all."


@never_cache
@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def digest_preview(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    if request.method == "POST":
        message = digest.digest_send_test(actor=request.membership)
        messages.success(request, f"A test digest is on its way to {message.destination}.")
        return see_other_to("integrations:digest", workspace)
    part = request.GET.get("part", "")
    if part not in ("", "email"):
        raise UnknownPart()
    built = digest.build_digest(workspace)
    if part == "email":
        html = digest.render_email(built, request.user, preview=True)["html"]
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = EMAIL_FRAME_POLICY
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response
    return render(
        request,
        "integrations/digest_preview.html",
        settings_context(
            request,
            "integrations",
            tab="digest",
            digest=built,
            # Who would get it today, before personal preferences: the page says who and why.
            recipients=digest.digest_recipients(workspace, today=built.today),
            slack_channel=digest.digest_slack_channel(workspace),
            slack_json=json.dumps(digest_slack.message(built), indent=2, ensure_ascii=False),
            email=digest.render_email(built, request.user),
        ),
    )
