"""alignment.prepared: a queryset's SQL compiled once, run with new values (issue #15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import QuerySet, Value
from django.test.utils import CaptureQueriesContext

from alignment.lookups import Ids, Texts
from alignment.prepared import Prepared
from tasks.models import Task
from tests.conftest import World
from tests.factories.work import TaskFactory

pytestmark = [
    pytest.mark.django_db,
    # Elsewhere Prepared runs the queryset itself: nothing of its own to test.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="compiles for PostgreSQL only"),
]


def _tasks(workspace: int, ids: Ids, title: str) -> QuerySet[Any]:
    return (
        Task.objects.for_workspace(workspace)
        .filter(pk__in_ids=ids)
        .exclude(title=title)
        .order_by("pk")
        .values_list("pk", "title", "estimate", Value("x"), "assignee__email")
    )


def test_rows_match_the_orm_for_every_call(world: World) -> None:
    made = [
        TaskFactory(team=world.team, estimate=Decimal("2.5"), assignee=world.member.user),
        TaskFactory(team=world.team, title="Skip me"),
        TaskFactory(team=world.team, estimate=None),
    ]
    other = TaskFactory()  # another workspace's task: never read
    prepared = Prepared(_tasks)

    for ids, title in [
        ([t.pk for t in made], "Skip me"),
        ([made[0].pk, other.pk], "nothing"),
        ([], "nothing"),
        ([made[2].pk], made[2].title),
    ]:
        args = {"workspace": world.workspace.pk, "ids": Ids(ids), "title": title}
        with CaptureQueriesContext(connection) as reading:
            rows = prepared.rows(**args)
        assert rows == list(_tasks(**args))
        assert len(reading) == 1
    assert prepared.rows(workspace=world.workspace.pk, ids=Ids([made[0].pk]), title="") == [
        (made[0].pk, made[0].title, Decimal("2.5"), "x", world.member.user.email)
    ]


def test_every_argument_must_reach_the_sql(world: World) -> None:
    def ignores_title(workspace: int, title: str) -> QuerySet[Any]:
        return Task.objects.for_workspace(workspace).values_list("pk")

    with pytest.raises(ValueError, match="title"):
        Prepared(ignores_title).rows(workspace=world.workspace.pk, title="x")


def test_arguments_are_checked(world: World) -> None:
    prepared = Prepared(_tasks)
    with pytest.raises(TypeError, match="takes"):
        prepared.rows(workspace=world.workspace.pk, ids=Ids([]))

    def by_object(workspace: Any) -> QuerySet[Any]:
        return Task.objects.filter(workspace=workspace).values_list("pk")

    with pytest.raises(TypeError, match="int, str, date, aware datetime, Ids or Texts"):
        Prepared(by_object).rows(workspace=world.workspace)


def test_text_lists_are_one_argument(world: World) -> None:
    task = TaskFactory(team=world.team, title="Find me")
    TaskFactory(team=world.team, title="Not me")

    def titled(workspace: int, titles: Texts) -> QuerySet[Any]:
        return (
            Task.objects.for_workspace(workspace).filter(title__in_texts=titles).values_list("pk")
        )

    prepared = Prepared(titled)
    assert prepared.rows(workspace=world.workspace.pk, titles=Texts(["Find me"])) == [(task.pk,)]
    assert prepared.rows(workspace=world.workspace.pk, titles=Texts(["Nope"])) == []


def test_a_pages_memberships_are_whole_rows_as_the_orm_reads_them(world: World) -> None:
    from django.forms.models import model_to_dict

    from alignment.models import Membership
    from alignment.tenancy import resolve_memberships
    from tests.factories.core import MembershipFactory, WorkspaceFactory

    user = world.member.user
    other = WorkspaceFactory(name="Another", settings={"week_starts": "sunday"})
    MembershipFactory(workspace=other, user=user, role="viewer")
    MembershipFactory(workspace=other)  # someone else's: never read

    membership, memberships = resolve_memberships(user, world.workspace.slug)

    expected = list(
        Membership.objects.select_related("workspace", "user")
        .filter(user=user)
        .order_by("workspace__name", "pk")
    )
    assert membership.pk == world.member.pk
    assert [m.pk for m in memberships] == [m.pk for m in expected]
    for made, orm in zip(memberships, expected, strict=True):
        assert model_to_dict(made) == model_to_dict(orm)
        assert model_to_dict(made.workspace) == model_to_dict(orm.workspace)
        assert model_to_dict(made.user) == model_to_dict(orm.user)
        assert made.get_deferred_fields() == set()
    with CaptureQueriesContext(connection) as reading:
        assert [m.workspace.settings for m in memberships] == [
            m.workspace.settings for m in expected
        ]
        assert memberships[0].user.email == user.email
    assert len(reading) == 0


def _completed_since(workspace: int, since: datetime) -> QuerySet[Any]:
    return (
        Task.objects.for_workspace(workspace)
        .filter(completed_at__gte=since)
        .order_by("pk")
        .values_list("pk", "completed_at")
    )


def test_an_instant_argument_is_swapped_in_like_any_other(world: World) -> None:
    early, late = TaskFactory(team=world.team), TaskFactory(team=world.team)
    noon = datetime(2026, 5, 13, 12, tzinfo=UTC)
    Task.objects.filter(pk=early.pk).update(completed_at=noon - timedelta(hours=2))
    Task.objects.filter(pk=late.pk).update(completed_at=noon + timedelta(hours=2))
    prepared = Prepared(_completed_since)
    workspace = world.workspace.pk

    for since in (noon - timedelta(days=1), noon, noon + timedelta(days=1)):
        expected = list(_completed_since(workspace, since))
        assert prepared.rows(workspace=workspace, since=since) == expected
    assert [pk for pk, _ in prepared.rows(workspace=workspace, since=noon)] == [late.pk]
    # In another zone, the same instant.
    berlin = noon.astimezone(ZoneInfo("Europe/Berlin"))
    assert prepared.rows(workspace=workspace, since=berlin) == prepared.rows(
        workspace=workspace, since=noon
    )


def test_a_naive_datetime_is_refused(world: World) -> None:
    with pytest.raises(TypeError, match="aware datetime"):
        Prepared(_completed_since).rows(
            workspace=world.workspace.pk,
            since=datetime(2026, 5, 13, 12),  # noqa: DTZ001
        )
