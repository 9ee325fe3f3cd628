"""Integration settings pages (admins only): connections and their health, delivery logs with
reprocess, the outbox with its dead letters, and outbound webhook subscriptions.

A secret is shown once: the POST that creates or rotates it puts it in the session, and the
page that shows it pops it. After that, pages show the hint ("…a1f3") only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
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
from integrations import deployment_settings, inbound, services
from integrations.forms import (
    IntegrationCreateForm,
    IntegrationEditForm,
    RotateSecretForm,
    SubscriptionForm,
)
from integrations.hook_links import hook_url
from integrations.models import (
    DeliveryStatus,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    WebhookDeliveryLog,
    WebhookSubscription,
)
from integrations.task_bridge import state_rules

SESSION_KEY = "integrations_secret_once"
ADMIN = Role.ADMIN


def _context(request: WorkspaceRequest, tab: str, **extra: Any) -> dict[str, Any]:
    return settings_context(request, "integrations", tab=tab, **extra)


def _integration(workspace: Workspace, integration_id: int) -> Integration:
    return get_object_or_404(Integration.objects.for_workspace(workspace), pk=integration_id)


def _subscription(workspace: Workspace, subscription_id: int) -> WebhookSubscription:
    return get_object_or_404(
        WebhookSubscription.objects.for_workspace(workspace), pk=subscription_id
    )


def _show_secret_once(
    request: WorkspaceRequest, kind: str, pk: int, raw: str
) -> HttpResponseRedirect:
    """Keep a new secret in the session for one showing, and go to the page that shows it."""
    request.session[SESSION_KEY] = {
        "kind": kind,
        "id": pk,
        "workspace_id": request.workspace.pk,
        "raw": raw,
    }
    return see_other_to(f"integrations:{kind}_secret", request.workspace, **{f"{kind}_id": pk})


def _pop_secret(request: WorkspaceRequest, kind: str, pk: int) -> str | None:
    pending = request.session.pop(SESSION_KEY, None)
    if (
        pending
        and pending.get("kind") == kind
        and pending.get("id") == pk
        and pending.get("workspace_id") == request.workspace.pk
    ):
        return str(pending["raw"])
    return None


def _secret_once(
    request: WorkspaceRequest,
    *,
    kind: str,
    pk: int,
    gone: str,
    edit: tuple[str, dict[str, int]],
    template: str,
    tab: str,
    **extra: Any,
) -> HttpResponse:
    """The page showing a new secret, once: on a second visit the session no longer holds it,
    so say so (`gone`) and send the admin back to the `edit` page, where they can rotate it."""
    raw = _pop_secret(request, kind, pk)
    if raw is None:
        messages.info(request, gone)
        name, kwargs = edit
        return see_other_to(name, request.workspace, **kwargs)
    return render(request, template, _context(request, tab, raw=raw, **extra))


# --- Integrations -------------------------------------------------------------------------


@require_GET
@workspace_view(read=ADMIN, write=ADMIN)
def integration_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every connection with its health: last delivery, failures, retries, bad signatures."""
    integrations = Integration.objects.for_workspace(workspace).annotate(
        last_delivery_at=Max("deliveries__received_at"),
        delivery_count=Count("deliveries"),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        retry_count=Sum("deliveries__redeliveries", default=0),
    )
    outbox = OutboxMessage.objects.for_workspace(workspace).aggregate(
        pending=Count("pk", filter=Q(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])),
        dead=Count("pk", filter=Q(status=OutboxStatus.DEAD)),
    )
    if inbound.eager():
        inbound.catch_up(workspace_id=workspace.pk)  # embedded setup: nothing else sweeps
    rows = [(integration, hook_url(integration, request)) for integration in integrations]
    return render(
        request,
        "integrations/list.html",
        _context(request, "connections", rows=rows, outbox=outbox),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=ADMIN, write=ADMIN)
def integration_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    form = IntegrationCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            integration, raw = services.integration_create(
                actor=request.membership, **form.cleaned_data
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            return _show_secret_once(request, "integration", integration.pk, raw)
    return render(
        request,
        "integrations/integration_new.html",
        _context(request, "connections", form=form),
        status=form_status(request),
    )


@never_cache
@require_GET
@workspace_view(read=ADMIN, write=ADMIN)
def integration_secret(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    """The integration's secret and hook URL, right after creating or rotating: shown once."""
    integration = _integration(workspace, integration_id)
    return _secret_once(
        request,
        kind="integration",
        pk=integration.pk,
        gone="A secret is shown only once, right after it is set. Rotate it to get a new one.",
        edit=("integrations:integration_edit", {"integration_id": integration.pk}),
        template="integrations/integration_secret.html",
        tab="connections",
        integration=integration,
        url=hook_url(integration, request),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=ADMIN, write=ADMIN)
def integration_edit(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    integration = _integration(workspace, integration_id)
    rules = state_rules(integration, "")
    initial = {
        "name": integration.name,
        "active": integration.active,
        "pr_opened": rules.get("pr_opened", ""),
        "pr_merged": rules.get("pr_merged", ""),
        "digest_channel": (integration.config or {}).get("digest_channel", ""),
        **deployment_settings.form_initial(integration),
    }
    form = IntegrationEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.integration_update(
                actor=request.membership,
                integration=integration,
                name=data["name"],
                active=data["active"],
                bot_token=data["bot_token"],
                state_rules={"pr_opened": data["pr_opened"], "pr_merged": data["pr_merged"]},
                digest_channel=data["digest_channel"],
                deployments={name: data[name] for name in deployment_settings.FORM_FIELDS},
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"{integration.name} saved.")
            return see_other_to("integrations:list", workspace)
    return render(
        request,
        "integrations/integration_edit.html",
        _context(
            request,
            "connections",
            integration=integration,
            form=form,
            rotate_form=RotateSecretForm(),
            url=hook_url(integration, request),
        ),
        status=form_status(request),
    )


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def integration_rotate(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    integration = _integration(workspace, integration_id)
    form = RotateSecretForm(request.POST)
    form.is_valid()
    try:
        integration, raw = services.integration_rotate_secret(
            actor=request.membership,
            integration=integration,
            secret=form.cleaned_data.get("secret", ""),
        )
    except FieldErrors as exc:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms))
        return see_other_to(
            "integrations:integration_edit", workspace, integration_id=integration.pk
        )
    return _show_secret_once(request, "integration", integration.pk, raw)


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def integration_delete(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    integration = _integration(workspace, integration_id)
    services.integration_delete(actor=request.membership, integration=integration)
    messages.success(request, f"{integration.name} is disconnected.")
    return see_other_to("integrations:list", workspace)


@require_GET
@workspace_view(read=ADMIN, write=ADMIN)
def delivery_list(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    """The integration's deliveries, newest first, with their outcome and a reprocess button."""
    integration = _integration(workspace, integration_id)
    if inbound.eager():
        inbound.catch_up(integration.pk)  # embedded setup: nothing else sweeps
    deliveries = InboundDelivery.objects.for_workspace(workspace).filter(integration=integration)
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    deliveries = deliveries.defer("body")
    return render(
        request,
        "integrations/deliveries.html",
        _context(
            request,
            "connections",
            integration=integration,
            page=paginate(request, deliveries),
            keep=query_without(request, "page"),
            status=status,
            statuses=DeliveryStatus.choices,
        ),
    )


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def delivery_reprocess(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int, delivery_id: int
) -> HttpResponse:
    integration = _integration(workspace, integration_id)
    delivery = get_object_or_404(
        InboundDelivery.objects.for_workspace(workspace).filter(integration=integration),
        pk=delivery_id,
    )
    delivery = services.delivery_reprocess(actor=request.membership, delivery=delivery)
    messages.success(
        request,
        f"Delivery {delivery.delivery_id} was reprocessed: {delivery.get_status_display()}.",
    )
    return see_other_to("integrations:deliveries", workspace, integration_id=integration.pk)


# --- Outbox -------------------------------------------------------------------------------

OUTBOX_FILTERS = {
    "attention": [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD],
    "pending": [OutboxStatus.PENDING, OutboxStatus.SENDING],
    "dead": [OutboxStatus.DEAD],
    "delivered": [OutboxStatus.DELIVERED],
}


@require_GET
@workspace_view(read=ADMIN, write=ADMIN)
def outbox_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Outbound messages waiting, dead (retry them here) or delivered."""
    show = request.GET.get("show", "attention")
    if show not in OUTBOX_FILTERS:
        show = "attention"
    messages_qs = OutboxMessage.objects.for_workspace(workspace).filter(
        status__in=OUTBOX_FILTERS[show]
    )
    return render(
        request,
        "integrations/outbox.html",
        _context(
            request,
            "outbox",
            page=paginate(request, messages_qs),
            keep=query_without(request, "page"),
            show=show,
            filters=list(OUTBOX_FILTERS),
        ),
    )


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def outbox_retry(request: WorkspaceRequest, workspace: Workspace, message_id: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage.objects.for_workspace(workspace), pk=message_id)
    message = services.outbox_message_retry(actor=request.membership, message=message)
    messages.success(
        request, f"Message to {message.destination} retried: {message.get_status_display()}."
    )
    return see_other_to("integrations:outbox", workspace)


# --- Outbound webhooks --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    form = SubscriptionForm(
        request.POST if request.method == "POST" else None, initial={"active": True}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, raw = services.subscription_create(
                actor=request.membership,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            return _show_secret_once(request, "subscription", subscription.pk, raw)
    latest = WebhookDeliveryLog.objects.filter(subscription=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    subscriptions = WebhookSubscription.objects.for_workspace(workspace).annotate(
        last_response_code=Subquery(latest.values("response_code")[:1]),
        last_error=Subquery(latest.values("error")[:1]),
        last_attempt_at=Subquery(latest.values("created_at")[:1]),
    )
    return render(
        request,
        "integrations/subscriptions.html",
        _context(request, "webhooks", subscriptions=subscriptions, form=form),
        status=form_status(request),
    )


@never_cache
@require_GET
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_secret(
    request: WorkspaceRequest, workspace: Workspace, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(workspace, subscription_id)
    return _secret_once(
        request,
        kind="subscription",
        pk=subscription.pk,
        gone="A signing secret is shown only once. Rotate it to get a new one.",
        edit=("integrations:subscription_edit", {"subscription_id": subscription.pk}),
        template="integrations/subscription_secret.html",
        tab="webhooks",
        subscription=subscription,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_edit(
    request: WorkspaceRequest, workspace: Workspace, subscription_id: int
) -> HttpResponse:
    """Edit a subscription; its delivery log (response code and time per attempt) below."""
    subscription = _subscription(workspace, subscription_id)
    form = SubscriptionForm(
        request.POST if request.method == "POST" else None,
        initial={
            "url": subscription.url,
            "description": subscription.description,
            "event_types": subscription.event_types,
            "active": subscription.active,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.subscription_update(
                actor=request.membership, subscription=subscription, **data
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Webhook to {subscription.url} saved.")
            return see_other_to("integrations:subscriptions", workspace)
    logs = (
        WebhookDeliveryLog.objects.for_workspace(workspace)
        .filter(subscription=subscription)
        .select_related("message")
    )
    return render(
        request,
        "integrations/subscription_edit.html",
        _context(
            request,
            "webhooks",
            subscription=subscription,
            form=form,
            page=paginate(request, logs),
            keep=query_without(request, "page"),
        ),
        status=form_status(request),
    )


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_rotate(
    request: WorkspaceRequest, workspace: Workspace, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(workspace, subscription_id)
    subscription, raw = services.subscription_rotate_secret(
        actor=request.membership, subscription=subscription
    )
    return _show_secret_once(request, "subscription", subscription.pk, raw)


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_ping(
    request: WorkspaceRequest, workspace: Workspace, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(workspace, subscription_id)
    services.subscription_ping(actor=request.membership, subscription=subscription)
    messages.success(request, f"A ping event is on its way to {subscription.url}.")
    return see_other_to(
        "integrations:subscription_edit", workspace, subscription_id=subscription.pk
    )


@require_POST
@workspace_view(read=ADMIN, write=ADMIN)
def subscription_delete(
    request: WorkspaceRequest, workspace: Workspace, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(workspace, subscription_id)
    services.subscription_delete(actor=request.membership, subscription=subscription)
    messages.success(request, f"Webhook to {subscription.url} deleted.")
    return see_other_to("integrations:subscriptions", workspace)
