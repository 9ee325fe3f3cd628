"""Factories of OKRs. Children take their workspace from their parent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from alignment.models import Team
from okrs.models import (
    CheckIn,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveComment,
    ObjectiveLevel,
    Period,
)
from tests.factories.core import TeamFactory, UserFactory, WorkspaceFactory


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Quarter {n}")
    start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=45))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=90))


def _team_of(objective: factory.builder.Resolver) -> Team | None:
    if objective.level != ObjectiveLevel.TEAM:
        return None
    return TeamFactory(workspace=objective.workspace)


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    period = factory.SubFactory(PeriodFactory)
    workspace = factory.SelfAttribute("period.workspace")
    title = factory.Sequence(lambda n: f"Delight customers with faster onboarding {n}")
    level = ObjectiveLevel.TEAM
    team = factory.LazyAttribute(_team_of)
    owner = factory.SubFactory(UserFactory)


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    workspace = factory.SelfAttribute("objective.workspace")
    title = factory.Sequence(lambda n: f"Raise weekly active teams from 40 to 80 ({n})")
    kind = KeyResultKind.NUMBER
    baseline = Decimal("0")
    target = Decimal("100")
    current = Decimal("0")


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    workspace = factory.SelfAttribute("key_result.workspace")
    value = Decimal("10")
    confidence = 7
    note = ""


class ObjectiveCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ObjectiveComment

    objective = factory.SubFactory(ObjectiveFactory)
    workspace = factory.SelfAttribute("objective.workspace")
    body = "Looks good."


__all__ = [
    "CheckInFactory",
    "KeyResultFactory",
    "ObjectiveCommentFactory",
    "ObjectiveFactory",
    "PeriodFactory",
]
