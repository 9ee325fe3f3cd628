"""The one websocket of a page: `/ws/w/<slug>/`, topics subscribed over it.

Client frames are JSON objects with an `op`:
    {"op": "subscribe", "topic": "board:12"}      -> {"type": "subscribed", "topic": …}
    {"op": "unsubscribe", "topic": "board:12"}
    {"op": "ping"}                                 -> {"type": "pong"}
    {"op": "<topic op>", "topic": "board:12", …}   -> the op's reply, if any
Server frames carry a `type` (`card`, `task`, `backlog`, `notifications`, `rollups`, `board`,
`presence`, `error` …) and the `topic` they belong to. Bad input closes the socket with a
close code (live.errors) before anything is read or written.

`LiveConsumer` is the base for any socket of the site: a documents socket reuses its
authentication, workspace resolution, topic registry, write gate and presence, and may
override `receive_bytes` for binary updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404

from alignment.errors import DomainError
from alignment.models import ApiToken, Membership, TokenScope
from alignment.tenancy import resolve_membership
from live import topics
from live.errors import BadFrame, Forbidden, FrameTooBig, NotAuthenticated, NotFound, SocketRefused
from live.presence import PresenceMixin
from live.topics import Access, Subscription
from twofactor import selectors as two_factor

logger = logging.getLogger(__name__)

SSO_SESSION_KEY, SSO_METHOD = "login_method", "sso"  # as twofactor.middleware reads them


def check_access(scope: dict[str, Any], slug: str) -> Access:
    """The socket's membership in the URL's workspace, checked like a page (or the API, for
    a token): 401 without a login, 404 outside the person's (or the token's) workspace, 403
    where the workspace requires two-factor and the person has not set it up."""
    user = scope.get("user")
    if scope.get("auth_error"):
        raise NotAuthenticated(scope["auth_error"])
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("log in first (session cookie or bearer token)")
    token = scope.get("api_token")
    if token is not None and token.workspace.slug != slug:
        raise NotFound("workspace not found")
    try:
        membership: Membership = resolve_membership(user, slug)
    except Http404 as exc:
        raise NotFound("workspace not found") from exc
    session = scope.get("session")
    if (
        token is None
        and two_factor.workspace_requires_two_factor(slug)
        and not (session is not None and session.get(SSO_SESSION_KEY) == SSO_METHOD)
        and not two_factor.has_two_factor(user.pk)
    ):
        raise Forbidden("this workspace requires two-factor authentication; set it up first")
    return Access(
        membership=membership,
        credential_writes=token is None or token.scope == TokenScope.WRITE,
    )


access_for = database_sync_to_async(check_access)


@database_sync_to_async
def still_allowed(
    scope: dict[str, Any], access: Access, subscriptions: dict[str, Subscription]
) -> bool:
    """Whether the socket would still be granted what it follows, with the same write rights."""
    token = scope.get("api_token")
    if token is not None:
        fresh_token = ApiToken.objects.filter(pk=token.pk).first()
        if fresh_token is None or fresh_token.status != "active":
            return False
    try:
        fresh = check_access(scope, access.membership.workspace.slug)
    except SocketRefused:
        return False
    if fresh.membership.role != access.membership.role:
        return False
    for topic, subscription in subscriptions.items():
        try:
            granted = topics.authorize(fresh, topic)
        except SocketRefused:
            return False
        if granted.can_write != subscription.can_write:
            return False
    return True


class LiveConsumer(PresenceMixin, AsyncJsonWebsocketConsumer):
    access: Access
    subscriptions: dict[str, Subscription]

    async def connect(self) -> None:
        # Accept first: a refusal then carries its close code and reason to the client (a
        # refused handshake would only show as a failed connection).
        await self.accept()
        self.subscriptions = {}
        self._heartbeat: asyncio.Task[None] | None = None
        try:
            self.access = await access_for(self.scope, self.scope["url_route"]["kwargs"]["slug"])
        except SocketRefused as refusal:
            await self.refuse(refusal)
            return
        user = self.access.membership.user
        self.viewer = {"id": user.pk, "name": user.display_name}
        self._heartbeat = asyncio.ensure_future(self._recheck_access())

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            await super().dispatch(message)
        except OSError:
            # ASGI servers raise an OSError from a send on a connection the client has just
            # closed; the disconnect may already sit in a receive that dies with this
            # consumer (uvicorn then ends the socket silently), so nothing would ever leave
            # presence or the groups: the page stayed "also here" on every other page. Treat
            # it as the disconnect it is (websocket_disconnect ends the consumer).
            if message["type"] == "websocket.disconnect":
                raise
            logger.info("live: the client left while %s was sent to it", message["type"])
            await self.websocket_disconnect({"type": "websocket.disconnect", "code": 1006})

    async def send_json(self, content: Any, close: bool = False) -> None:
        # Group messages already on their way may arrive after the socket closed.
        if not getattr(self, "closed", False):
            await super().send_json(content, close=close)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if getattr(self, "_heartbeat", None) is not None:
            self._heartbeat.cancel()  # type: ignore[union-attr]
        if getattr(self, "subscriptions", None):
            await self.presence_exit_all()
            for subscription in list(self.subscriptions.values()):
                await self._leave_groups(subscription)
            self.subscriptions = {}

    async def refuse(self, refusal: SocketRefused) -> None:
        await self.close(code=refusal.code, reason=refusal.reason)
        self.closed = True

    # --- frames from the client ------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "access"):
            return  # refused at connect; the close frame is on its way
        try:
            if bytes_data is not None:
                await self.receive_bytes(bytes_data)
                return
            if text_data is None:
                raise BadFrame("empty frame")
            if len(text_data.encode()) > settings.LIVE_MAX_FRAME_BYTES:
                raise FrameTooBig(f"frames are limited to {settings.LIVE_MAX_FRAME_BYTES} bytes")
            try:
                frame = json.loads(text_data)
            except ValueError as exc:
                raise BadFrame("frame is not valid JSON") from exc
            if not isinstance(frame, dict):
                raise BadFrame("frame must be a JSON object with an 'op'")
            await self.receive_frame(frame)
        except SocketRefused as refusal:
            await self.refuse(refusal)

    async def receive_bytes(self, data: bytes) -> None:
        """Binary frames: none by default (a documents socket takes CRDT updates here)."""
        raise BadFrame("binary frames are not accepted here")

    async def receive_frame(self, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        if op == "ping":
            await self.send_json({"type": "pong"})
        elif op == "subscribe":
            await self.subscribe(frame.get("topic"))
        elif op == "unsubscribe":
            await self.unsubscribe(frame.get("topic"))
        elif isinstance(op, str):
            await self.run_op(op, frame)
        else:
            raise BadFrame("frame must have an 'op'")

    async def subscribe(self, topic: object) -> None:
        if not isinstance(topic, str):
            raise BadFrame("subscribe needs a 'topic'")
        if topic in self.subscriptions:
            return
        if len(self.subscriptions) >= settings.LIVE_MAX_TOPICS:
            raise BadFrame(f"a socket follows at most {settings.LIVE_MAX_TOPICS} topics")
        subscription = await database_sync_to_async(topics.authorize)(self.access, topic)
        self.subscriptions[topic] = subscription
        for group in subscription.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json(
            {"type": "subscribed", "topic": topic, "can_write": subscription.can_write}
        )
        if subscription.presence_group:
            await self.channel_layer.group_add(subscription.presence_group, self.channel_name)
            await self.presence_enter(topic, subscription.presence_group)

    async def unsubscribe(self, topic: object) -> None:
        if not isinstance(topic, str):
            raise BadFrame("unsubscribe needs a 'topic'")
        subscription = self.subscriptions.pop(topic, None)
        if subscription is None:
            return
        if subscription.presence_group:
            await self.presence_exit(subscription.presence_group)
        await self._leave_groups(subscription)

    async def _leave_groups(self, subscription: Subscription) -> None:
        groups = list(subscription.groups)
        if subscription.presence_group:
            groups.append(subscription.presence_group)
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def run_op(self, name: str, frame: dict[str, Any]) -> None:
        topic = frame.get("topic")
        subscription = self.subscriptions.get(topic) if isinstance(topic, str) else None
        if subscription is None:
            raise BadFrame("subscribe to the topic before sending ops on it")
        op = topics.op_of(subscription, name, self.access)
        try:
            reply = await database_sync_to_async(op.handler)(self.access, subscription, frame)
        except DomainError as refusal:
            # A rule said no (a stale version, a move across teams): the input was well
            # formed, so the socket stays open and the page hears why.
            reply = {"type": "error", "code": refusal.code, "message": refusal.text}
        if reply is not None:
            await self.send_json({"topic": topic, **reply})

    # --- messages from the channel layer ---------------------------------------------------

    async def live_event(self, message: dict[str, Any]) -> None:
        """A committed change for a topic this socket follows: forwarded as it is."""
        await self.send_json(message["data"])

    async def live_notifications(self, message: dict[str, Any]) -> None:
        """The person's inbox changed: send their own unread count (it is per person)."""
        from integrations.notifications.services import unread_count

        membership = self.access.membership
        unread = await database_sync_to_async(unread_count)(
            membership.user_id, membership.workspace_id
        )
        await self.send_json({"type": "notifications", "topic": "notifications", "unread": unread})

    async def _recheck_access(self) -> None:
        """Access is checked at subscribe time and again every LIVE_ACCESS_RECHECK_SECONDS:
        a person removed from the workspace, demoted, or no longer seeing a team (a private
        team they left) has the socket closed with 4403 and the page reconnects (and is
        refused or re-subscribes to what it may still see). Cheap: one query per topic
        per socket per interval, none per message."""
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(settings.LIVE_ACCESS_RECHECK_SECONDS)
                try:
                    still = await still_allowed(self.scope, self.access, self.subscriptions)
                except Exception:  # a database hiccup must not end the socket
                    logger.warning("live: access re-check failed", exc_info=True)
                    continue
                if not still:
                    await self.refuse(Forbidden("your access changed; reconnect"))
                    return
