"""Django admin: read-mostly views of deliveries and the outbox, with a dead-letter retry.

Secrets are excluded from every admin form, so the admin never shows them either.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from integrations.models import (
    ExternalLink,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    WebhookDeliveryLog,
    WebhookSubscription,
)
from integrations.outbox import schedule_delivery


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "workspace", "active", "secret_hint", "bad_signature_count"]
    list_filter = ["provider", "active"]
    exclude = ["secret", "bot_token"]
    readonly_fields = ["uuid", "secret_hint", "bot_token_hint", "bad_signature_count"]


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "provider", "event", "action", "status", "received_at"]
    list_filter = ["provider", "status"]
    search_fields = ["delivery_id", "event"]


@admin.register(ExternalLink)
class ExternalLinkAdmin(admin.ModelAdmin):
    list_display = ["task_key", "kind", "state", "title", "workspace"]
    search_fields = ["task_key", "title", "external_id"]


@admin.action(description="Retry the selected dead letters now")
def retry_dead(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    ids = list(queryset.filter(status=OutboxStatus.DEAD).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in ids:
        schedule_delivery(pk)
    modeladmin.message_user(request, f"{len(ids)} message(s) queued again.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "channel", "destination", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel"]
    actions = [retry_dead]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "workspace", "active", "secret_hint"]
    exclude = ["secret", "previous_secret"]


@admin.register(WebhookDeliveryLog)
class WebhookDeliveryLogAdmin(admin.ModelAdmin):
    list_display = ["subscription", "message", "attempt", "response_code", "duration_ms"]
