"""Behaviour that needs PostgreSQL: concurrent key allocation, pg_trgm similarity, FTS."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tasks import services
from tasks.models import Task
from tasks.search import workspace_search
from tasks.similarity import similar_open_tasks
from tests.factories.work import TaskFactory
from tests.services import require_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgres()


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_get_every_number_once_without_gaps():
    from tests.conftest import build_world

    world = build_world("race")
    threads, errors = 8, []
    per_thread = 5
    barrier = threading.Barrier(threads)

    def create(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                services.task_create(actor=world.member, team=world.team, title=f"t{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=create, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    numbers = sorted(Task.objects.filter(team=world.team).values_list("number", flat=True))
    assert errors == []
    assert numbers == list(range(1, threads * per_thread + 1))


def test_trigram_index_exists(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'task_title_trgm_idx'")
        assert cursor.fetchone() == (1,)


def test_pg_trgm_ranks_the_closest_title_first(world):
    close = TaskFactory(team=world.team, title="Fix the login page redirect")
    TaskFactory(team=world.team, title="Fix login")
    TaskFactory(team=world.team, title="Write quarterly report")
    found = similar_open_tasks(world.workspace, "Fix login page redirect")
    assert found[0] == close
    assert "Write quarterly report" not in [t.title for t in found]


def test_full_text_search_matches_word_forms(world):
    task = TaskFactory(team=world.team, title="Migrating invoices to the new ledger")
    results = workspace_search(world.workspace, "migrate invoice", viewer=world.viewer)
    assert [(r.kind, r.id) for r in results] == [("task", task.pk)]


def test_ranks_order_the_same_in_postgres_and_python(world):
    ranks = ["i0", "hz", "i0i", "j10", "gzz", "i0a", "i09"]
    for rank in ranks:
        TaskFactory(team=world.team, rank=rank)
    ordered = list(
        Task.objects.filter(team=world.team).order_by("rank").values_list("rank", flat=True)
    )
    assert ordered == sorted(ranks)


def _backlog_of(world, n: int) -> None:
    from tests.factories.work import ranked_tasks, state_of

    ranked_tasks(world.team, state_of(world.team), n, title="Backlog")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")


@pytest.mark.parametrize("after", ["", "i5.1"])
def test_a_backlog_page_reads_the_rank_index_in_order_without_sorting(world, after):
    from tasks.board_selectors import after_cursor, backlog_for_team
    from tasks.page_selectors import parse_cursor

    _backlog_of(world, 5000)
    qs = after_cursor(backlog_for_team(world.workspace, world.team), parse_cursor(after))

    # One team's table is small enough here that a sort is cheapest; with sorting priced out,
    # the plan shows whether an index alone can give the page in order: task_backlog_idx can
    # (partial on `sprint IS NULL`, id last); the old (workspace, team, sprint, rank) index
    # could not, neither past its IS NULL column nor without the id. `make bench` shows the
    # plan at scale.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
    plan = qs[:51].explain()

    assert "task_backlog_idx" in plan
    assert "Sort" not in plan


def test_a_multi_word_query_without_a_match_finds_nothing(world):
    TaskFactory.create_batch(3, team=world.team, title="Write quarterly report")
    # The trap this guards against: ts_rank is 1e-20, not 0, for a row that does not match,
    # so `rank > 0` once kept every task as a "match".
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_rank(to_tsvector('english', 'Write quarterly report'),"
            " websearch_to_tsquery('english', 'zebra quantum'))"
        )
        assert cursor.fetchone()[0] > 0
    assert list(workspace_search(world.workspace, "zebra quantum", viewer=world.member)) == []
    assert list(workspace_search(world.workspace, "quarterly zebra", viewer=world.member)) == []


def test_full_text_and_substring_matches_are_both_kept(world):
    stemmed = TaskFactory(team=world.team, title="Migrating invoices")
    partial = TaskFactory(team=world.team, title="Invoicing-service timeout")
    found = {r.id for r in workspace_search(world.workspace, "invoic", viewer=world.member)}
    assert found == {stemmed.pk, partial.pk}
