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


def _statements() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _percent_titles(workspace: int, ids: Ids) -> QuerySet[Any]:
    # Constants the ORM passes as parameters, one holding a percent sign: they become literals.
    return (
        Task.objects.for_workspace(workspace)
        .filter(pk__in_ids=ids, title__contains="50%")
        .order_by("pk")
        .values_list("pk", Value("100% done"))
    )


def test_the_sql_is_prepared_once_per_session_and_then_executed(world: World) -> None:
    wanted = TaskFactory(team=world.team, title="Ship 50% of it")
    TaskFactory(team=world.team, title="Ship 5 of it")
    prepared = Prepared(_percent_titles)
    args = {"workspace": world.workspace.pk, "ids": Ids([wanted.pk, wanted.pk + 1])}
    for _ in range(3):
        with CaptureQueriesContext(connection) as reading:
            assert prepared.rows(**args) == [(wanted.pk, "100% done")]
        # One round trip each time: the first PREPAREs and EXECUTEs together.
        assert len(reading) == 1
    sql = reading.captured_queries[0]["sql"]
    assert sql.startswith("EXECUTE alignment_prepared_")
    name = sql.split()[1].split("(")[0]
    statement = _statements()[name]
    assert "$1" in statement
    assert "$2" in statement
    assert "'%50\\%%'" in statement
    assert "'100% done'" in statement
    assert prepared.rows(workspace=world.workspace.pk, ids=Ids([])) == []


@pytest.mark.django_db(transaction=True)
def test_a_new_session_prepares_again(world: World) -> None:
    task = TaskFactory(team=world.team, title="At 50% now")
    prepared = Prepared(_percent_titles)
    args = {"workspace": world.workspace.pk, "ids": Ids([task.pk])}
    assert prepared.rows(**args) == [(task.pk, "100% done")]
    # A dropped connection (a restart of PostgreSQL, a health check's reconnect) loses the
    # session's statements: the next call prepares them on the new session.
    first_session = connection.connection
    connection.close()
    connection.ensure_connection()
    assert connection.connection is not first_session
    assert not _statements()
    assert prepared.rows(**args) == [(task.pk, "100% done")]
    assert len(_statements()) == 1


def test_a_rolled_back_transaction_keeps_the_statement(world: World) -> None:
    from django.db import transaction

    task = TaskFactory(team=world.team, title="Half: 50%")
    prepared = Prepared(_percent_titles)
    args = {"workspace": world.workspace.pk, "ids": Ids([task.pk])}

    class Undo(Exception):
        pass

    def read_then_undo() -> None:
        with transaction.atomic():
            assert prepared.rows(**args) == [(task.pk, "100% done")]
            raise Undo

    with pytest.raises(Undo):
        read_then_undo()
    with CaptureQueriesContext(connection) as reading:
        assert prepared.rows(**args) == [(task.pk, "100% done")]
    assert reading.captured_queries[0]["sql"].startswith("EXECUTE")


def test_prepared_statements_can_be_turned_off_for_a_pooler(world: World, settings) -> None:
    settings.DB_PREPARED_STATEMENTS = False
    task = TaskFactory(team=world.team, title="Pooled at 50%")
    prepared = Prepared(_percent_titles)
    with CaptureQueriesContext(connection) as reading:
        assert prepared.rows(workspace=world.workspace.pk, ids=Ids([task.pk])) == [
            (task.pk, "100% done")
        ]
    assert reading.captured_queries[0]["sql"].startswith("SELECT")
    assert not any("_percent" in s for s in _statements())


def _divided(workspace: int, divisor: int) -> QuerySet[Any]:
    from django.db.models import ExpressionWrapper, IntegerField

    quotient = ExpressionWrapper(Value(6) / Value(divisor), output_field=IntegerField())
    return Task.objects.for_workspace(workspace).annotate(q=quotient).values_list("pk", "q")


def test_a_failed_first_execute_keeps_its_statement_and_a_lost_one_is_prepared_again(
    world: World,
) -> None:
    from django.db import DataError, OperationalError, transaction

    task = TaskFactory(team=world.team)
    prepared = Prepared(_divided)
    other = Prepared(_percent_titles)
    assert other.rows(workspace=world.workspace.pk, ids=Ids([task.pk])) == []  # prepared
    # The first call prepares, then fails as it runs: the statement stays (not transactional),
    # and the next call must not prepare it twice ("already exists").
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        prepared.rows(workspace=world.workspace.pk, divisor=0)
    assert prepared.rows(workspace=world.workspace.pk, divisor=3) == [(task.pk, 2)]
    # Something else dropped the session's statements (DISCARD ALL, a pooler's reset): the
    # call after the one that finds it gone prepares it again.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(OperationalError), transaction.atomic():
        prepared.rows(workspace=world.workspace.pk, divisor=3)
    assert prepared.rows(workspace=world.workspace.pk, divisor=2) == [(task.pk, 3)]
    # Every other statement of the session was lost with it: none is believed prepared still
    # (`other`, prepared before the DEALLOCATE, works at once, as later tests' queries must).
    assert other.rows(workspace=world.workspace.pk, ids=Ids([task.pk])) == []
