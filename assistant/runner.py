"""The one gate to the model: is one configured, may this workspace use it, and the audit
log of every call. Callers get the text or None (then they answer offline) and a note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alignment.models import Membership, Workspace
from assistant import client
from assistant.models import AssistantLog, AssistantSettings, Outcome

FALLBACK_SUFFIX = "The offline answer is shown instead."


@dataclass(frozen=True)
class Answer:
    text: str | None  # the model's answer, or None: answer offline
    note: str = ""  # shown on the page when it says something the reader should know
    log_id: int | None = None


def model_enabled(workspace: Workspace) -> bool:
    """The workspace's switch (on unless an admin turned it off)."""
    row = AssistantSettings.objects.filter(workspace=workspace).only("model_enabled").first()
    return True if row is None else row.model_enabled


def mode(workspace: Workspace) -> str:
    """ "model" when calls may leave the server, else "offline" (no endpoint, or turned off)."""
    if client.configured_endpoint() is None or not model_enabled(workspace):
        return "offline"
    return "model"


def ask(
    member: Membership,
    feature: str,
    messages: Sequence[client.Message],
    *,
    stream: bool = True,
) -> Answer:
    endpoint = client.configured_endpoint()
    if endpoint is None:
        return Answer(None)  # nothing configured: nothing leaves the server
    if not model_enabled(member.workspace):
        return Answer(None, "The model is turned off for this workspace; this answer is offline.")
    log = AssistantLog(
        workspace=member.workspace,
        actor=member.user,
        feature=feature,
        endpoint=endpoint.base_url[:300],
        model_name=endpoint.model[:120],
        prompt=list(messages),
    )
    try:
        text = client.chat(endpoint, messages, stream=stream)
    except client.ModelUnavailable as exc:
        log.outcome = Outcome.FALLBACK
        log.note = exc.note[:300]
        log.save()
        return Answer(None, f"{exc.note} {FALLBACK_SUFFIX}", log.pk)
    log.outcome = Outcome.MODEL
    log.output = text
    log.save()
    return Answer(text, "", log.pk)


def note_on(log_id: int | None, note: str) -> None:
    """Add what the caller did with the answer (sentences dropped, drafts rejected)."""
    if log_id is not None and note:
        AssistantLog.objects.filter(pk=log_id).update(note=note[:300])
