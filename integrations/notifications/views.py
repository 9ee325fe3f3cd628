"""The inbox and the preferences page, under /w/<slug>/notifications/.

Everyone with any role has an inbox, so every page here needs only the viewer role; what a
person sees is always filtered to their own notifications (someone else's id is a 404).
Mark read / mark all read answer htmx with the updated fragment plus the header badge
(an out-of-band swap), and plain form posts with a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, is_partial, paginate, query_without, see_other_to
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from integrations.notifications import preferences as prefs
from integrations.notifications.models import Notification, NotificationChannel
from integrations.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    unread_count,
)

ANYONE = Role.VIEWER
PER_PAGE = 25


@require_GET
@workspace_view(read=ANYONE, write=ANYONE, guests=True)
def inbox(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Newest first; `?show=unread` keeps the unread ones only."""
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = Notification.objects.for_workspace(workspace).for_recipient(request.user.pk)
    if show == "unread":
        notifications = notifications.unread()
    page = paginate(request, notifications.order_by("-created_at", "-id"), per_page=PER_PAGE)
    context = {
        "workspace": workspace,
        "page": page,
        "show": show,
        "keep": query_without(request, "page"),
        "unread": unread_count(request.user.pk, workspace.pk),
    }
    return render(request, "notifications/inbox.html", context)


@require_POST
@workspace_view(read=ANYONE, write=ANYONE, guests=True)
def mark_read(
    request: WorkspaceRequest, workspace: Workspace, notification_id: int
) -> HttpResponse:
    notification = get_object_or_404(
        Notification.objects.for_workspace(workspace).for_recipient(request.user.pk),
        pk=notification_id,
    )
    notification = notification_mark_read(actor=request.membership, notification=notification)
    if is_partial(request):
        return render(
            request,
            "notifications/_marked.html",
            {
                "workspace": workspace,
                "n": notification,
                "unread": unread_count(request.user.pk, workspace.pk),
            },
        )
    return see_other_to("notifications:inbox", workspace)


@require_POST
@workspace_view(read=ANYONE, write=ANYONE, guests=True)
def mark_all_read(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    marked = notification_mark_all_read(actor=request.membership)
    if is_partial(request):
        # The whole list comes back (every row now read), with the badge out of band.
        return inbox_after_all_read(request, workspace)
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return see_other_to("notifications:inbox", workspace)


def inbox_after_all_read(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    notifications = Notification.objects.for_workspace(workspace).for_recipient(request.user.pk)
    page = paginate(request, notifications.order_by("-created_at", "-id"), per_page=PER_PAGE)
    return render(
        request,
        "notifications/_list_marked.html",
        {"workspace": workspace, "page": page, "show": "all", "keep": "", "unread": 0},
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=ANYONE, write=ANYONE, guests=True)
def preferences(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The grid of kinds × channels and the Slack member id; unavailable cells say why."""
    current = prefs.preferences_for(request.user, workspace, role=request.membership.role)
    errors: dict[str, list[str]] = {}
    slack_value = current.slack_user_id
    if request.method == "POST":
        # A checkbox is only posted when ticked, so every cell the page offered is named, on
        # or off. Disabled cells (no Slack yet) are not posted and keep their value: turning
        # Slack on later must not find everything switched off.
        choices = {
            kind: {
                channel: f"{kind}.{channel}" in request.POST
                for channel in prefs.CHANNELS
                if not current.unavailable_reason(kind, channel)
            }
            for kind in prefs.KINDS
        }
        slack_value = request.POST.get("slack_user_id", "")
        try:
            prefs.preferences_update(
                actor=request.membership, choices=choices, slack_user_id=slack_value
            )
        except FieldErrors as exc:
            errors = exc.fields
            # Show what they ticked, not what is saved, next to the message.
            current.choices = choices
        else:
            messages.success(request, "Notification preferences saved.")
            return see_other_to("notifications:preferences", workspace)
    return render(
        request,
        "notifications/preferences.html",
        {
            "workspace": workspace,
            "grid": current.grid(),
            "channels": [(c, NotificationChannel(c).label) for c in prefs.CHANNELS],
            "slack_user_id": slack_value,
            "slack_connected": current.slack_connected,
            "slack_help": prefs.SLACK_ID_HELP,
            "errors": errors,
            "unread": unread_count(request.user.pk, workspace.pk),
        },
        status=422 if errors else 200,
    )
