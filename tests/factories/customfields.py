"""Custom fields made the way admins make them: through the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alignment.models import Membership, Team
from customfields.models import CustomField, CustomFieldOption
from customfields.services import custom_field_create, custom_values_set
from tasks.models import Task


def define(
    admin: Membership,
    name: str,
    kind: str,
    *,
    options: Sequence[str] = (),
    team: Team | None = None,
    show_on_cards: bool = False,
) -> CustomField:
    return custom_field_create(
        actor=admin, name=name, kind=kind, options=options, team=team, show_on_cards=show_on_cards
    )


def option(field: CustomField, label: str) -> CustomFieldOption:
    return field.options.get(label=label)


def set_values(member: Membership, task: Task, **values: Any) -> None:
    """Values by field name (underscores for spaces: deal_size → "deal size")."""
    custom_values_set(
        actor=member,
        task=task,
        values={name.replace("_", " "): value for name, value in values.items()},
    )
