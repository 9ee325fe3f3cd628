"""Notifications API, under /api/v1/workspaces/<slug>/notifications/.

The caller's own notifications only: the queryset is filtered to the token's (or session's)
user, so another member's notification id answers 404 like a missing one. Any role may read
and mark read its own inbox, and change its own preferences.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin, WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_query import FlagFilter
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.models import Role
from integrations.notifications import preferences as prefs
from integrations.notifications.models import Notification
from integrations.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
)


class NotificationSerializer(ModelSerializer):
    is_unread = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "sentence",
            "url",
            "object_type",
            "object_id",
            "actor",
            "created_at",
            "read_at",
            "is_unread",
        ]
        read_only_fields = fields


class NotificationPagination(CursorPagination):
    ordering = "-id"  # newest first, on the (recipient, workspace, -id) index


class NotificationFilter(django_filters.FilterSet):
    unread = FlagFilter(
        true={"1", "true", "yes"},
        false={"0", "false", "no", ""},
        message="Use 1 (unread only) or 0.",
        method="filter_unread",
        help_text="1: unread only.",
        schema={"type": "string", "enum": ["1", "0"]},
    )

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(read_at__isnull=True) if value else queryset


@extend_schema_view(
    list=extend_schema(
        summary="List my notifications, newest first",
        description=(
            "Your notifications in this workspace, newest first: mentions, assignments, status "
            "changes and reminders. `?unread=1` keeps the unread ones."
        ),
        responses={200: NotificationSerializer(many=True), **ERRORS},
    ),
)
class NotificationViewSet(ListModelMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination
    filterset_class = NotificationFilter
    read_role = Role.VIEWER
    write_role = Role.VIEWER

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.filter(recipient_id=self.request.user.pk)

    @extend_schema(
        summary="Mark one of my notifications read",
        request=None,
        responses={200: NotificationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notification = notification_mark_read(actor=self.member, notification=self.get_object())
        return self.respond(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications in this workspace read",
        description=("Mark every notification you have in this workspace as read."),
        request=None,
        responses={
            200: inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()}),
            **WRITE_ERRORS,
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond({"marked": notification_mark_all_read(actor=self.member)})


class PreferencesWriteSerializer(serializers.Serializer):
    choices = serializers.JSONField(
        required=False,
        help_text='Cells to change, e.g. {"assigned": {"email": false}}; others keep theirs.',
    )
    slack_user_id = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="U012AB3CD; empty clears it."
    )


class PreferenceCellSerializer(serializers.Serializer):
    channel = serializers.CharField()
    on = serializers.BooleanField(help_text="The person's choice (or the default).")
    reason = serializers.CharField(help_text="Why this cell cannot deliver now; empty if it can.")


class PreferenceRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField(help_text="The kind in words.")
    channels = PreferenceCellSerializer(many=True)


class PreferencesSerializer(serializers.Serializer):
    kinds = PreferenceRowSerializer(many=True)
    slack_user_id = serializers.CharField()


def _body(preferences: prefs.Preferences) -> dict[str, Any]:
    return {"kinds": preferences.grid(), "slack_user_id": preferences.slack_user_id}


class NotificationPreferencesView(WorkspaceAPIMixin, APIView):
    """GET my grid of kinds × channels; PUT changes the cells named (and the Slack id)."""

    guest_access = True  # guests: their teams' rows only (visible_to)
    read_role = Role.VIEWER
    write_role = Role.VIEWER

    @extend_schema(
        summary="My notification preferences",
        description=(
            "Which kinds of notification reach you on which channel (in the app, e-mail, Slack), "
            "and your Slack user id."
        ),
        responses={200: PreferencesSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        current = prefs.preferences_for(self.member.user, self.workspace, role=self.member.role)
        return self.respond(_body(current))

    @extend_schema(
        summary="Change my notification preferences",
        description=(
            "Change the kind-by-channel cells you name (and your Slack user id); cells you leave "
            "out keep their value."
        ),
        request=PreferencesWriteSerializer,
        responses={200: PreferencesSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(PreferencesWriteSerializer)
        updated = prefs.preferences_update(
            actor=self.member,
            choices=data.get("choices"),
            slack_user_id=data.get("slack_user_id"),
        )
        return self.respond(_body(updated))
