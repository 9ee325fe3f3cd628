"""`{% ci_state_for task as ci %}`: a board card's CI state without a query per card.

The first card of a request reads every open PR/MR with CI in the workspace in one query
(`integrations.selectors.ci_states_by_key`) and keeps it on the request; the other cards
read that. Without a request in the context nothing is read (no badge), so a template
rendered outside a request can never run one query per card.
"""

from __future__ import annotations

from typing import Any

from django import template

from integrations.selectors import ci_states_by_key

register = template.Library()
CACHE_ATTR = "_integrations_ci_states"


@register.simple_tag(takes_context=True)
def ci_state_for(context: Any, task: Any) -> str:
    request = context.get("request")
    workspace_id = getattr(task, "workspace_id", None)
    if request is None or workspace_id is None:
        return ""
    cache: dict[int, dict[str, str]] = getattr(request, CACHE_ATTR, None) or {}
    if workspace_id not in cache:
        cache[workspace_id] = ci_states_by_key(workspace_id)
        setattr(request, CACHE_ATTR, cache)
    return cache[workspace_id].get(str(getattr(task, "key", "")), "")
