"""`{% mentioned_in_documents "task" task %}`: the documents that mention an object.

Shown on the task, objective (with its key results) and roadmap item pages; each reader sees
only documents they may read (`DocumentMention.objects.visible_to`), in one query.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

from documents.mentions import backlinks
from documents.models import MentionKind
from okrs.models import KeyResult

register = template.Library()


@register.inclusion_tag("documents/_backlinks.html", takes_context=True)
def mentioned_in_documents(context: template.Context, kind: str, obj: Model) -> dict[str, Any]:
    request = context["request"]
    targets: dict[str, Any] = {kind: [obj.pk]}
    if kind == MentionKind.OBJECTIVE:
        # Its key results have no page of their own: their backlinks show here (a subquery,
        # so still one query).
        targets[MentionKind.KEY_RESULT] = KeyResult.objects.filter(objective_id=obj.pk).values("pk")
    return {
        "workspace": context["workspace"],
        "backlinks": backlinks(request.membership, targets),
    }
