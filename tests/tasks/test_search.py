"""Search over one corpus: runs on the suite's database (SQLite locally, PostgreSQL under CI),
so the same expectations hold on both; `test_postgres.py` adds what needs PostgreSQL."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from alignment.models import Membership, Team, TeamMember
from tasks.models import Priority, StateCategory, Task, TaskLabel, WorkflowState
from tasks.search import EXACT_KEY, EXACT_TITLE, workspace_search
from tasks.search_query import (
    QUALIFIERS,
    ParsedQuery,
    SearchQueryInvalid,
    parse_search_query,
)
from tests.conftest import World, build_guest
from tests.factories.core import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import (
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskCommentFactory,
    TaskFactory,
    state_of,
)
from tests.tasks.search_corpus import Corpus, build_corpus


@pytest.fixture
def corpus(world: World) -> Corpus:
    return build_corpus(world)


def found(world: World, q: str, viewer: Membership | None = None, **kw) -> list[tuple[str, int]]:
    outcome = workspace_search(world.workspace, q, viewer=viewer or world.member, **kw)
    return [(r.kind, r.id) for r in outcome]


# ---- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["zebra quantum", "ledger zebra", "quantum"])
def test_a_query_that_matches_nothing_finds_nothing(world, corpus, q):
    assert found(world, q) == []


def test_every_word_of_a_multi_word_query_must_match(world, corpus):
    assert found(world, "login redirect") == [("task", corpus.login.pk)]
    assert found(world, "redirect wrong page") == [("task", corpus.login.pk)]  # title + body


def test_an_exact_title_comes_first_then_the_other_kinds(world, corpus):
    outcome = workspace_search(world.workspace, "ledger", viewer=world.member)
    assert (outcome.results[0].kind, outcome.results[0].id) == ("task", corpus.ledger.pk)
    assert outcome.results[0].tier == EXACT_TITLE
    assert sorted((r.kind, r.id) for r in outcome.results[1:]) == sorted(
        [
            ("task", corpus.invoices.pk),
            ("objective", corpus.objective.pk),
            ("roadmap_item", corpus.item.pk),
        ]
    )


def test_a_task_key_puts_that_task_first_before_title_matches(world, corpus):
    mention = TaskFactory(team=world.team, title=corpus.invoices.key)  # an exact title too
    outcome = workspace_search(world.workspace, corpus.invoices.key.lower(), viewer=world.member)
    assert [(r.id, r.tier) for r in outcome.results[:2]] == [
        (corpus.invoices.pk, EXACT_KEY),
        (mention.pk, EXACT_TITLE),
    ]


def test_key_results_are_found(world, corpus):
    assert found(world, "invoice errors") == [("key_result", corpus.key_result.pk)]


def test_a_comment_hit_names_its_task(world, corpus):
    outcome = workspace_search(world.workspace, "flaky checkout", viewer=world.member)
    [hit] = outcome.results
    assert (hit.kind, hit.id, hit.key, hit.title) == (
        "comment",
        corpus.comment.pk,
        corpus.cleanup.key,
        "Quarterly cleanup",
    )
    assert hit.snippet.startswith("The flaky checkout test")


def test_a_task_found_itself_is_not_repeated_for_its_comment(world, corpus):
    TaskCommentFactory(task=corpus.login, body="login redirect reproduced")
    assert found(world, "login redirect") == [("task", corpus.login.pk)]


def test_more_results_than_the_limit_says_so(world, corpus):
    outcome = workspace_search(world.workspace, "ledger", viewer=world.member, limit=2)
    assert len(outcome.results) == 2
    assert outcome.has_more is True
    assert workspace_search(world.workspace, "login", viewer=world.member).has_more is False


# ---- privacy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["audit", "acquisition", "ledger", "flaky checkout", "SEC-1"])
def test_private_team_tasks_and_comments_never_appear_for_non_members(world, corpus, q):
    for viewer in (world.member, world.viewer):
        assert ("task", corpus.private_task.pk) not in found(world, q, viewer)
        assert ("comment", corpus.private_comment.pk) not in found(world, q, viewer)


def test_private_team_members_and_admins_find_its_tasks(world, corpus):
    for viewer in (corpus.insider, world.admin):
        assert ("task", corpus.private_task.pk) in found(world, "audit", viewer)
        assert found(world, "checkout vendor", viewer) == [("comment", corpus.private_comment.pk)]


def test_guests_find_their_teams_work_but_no_objectives_or_key_results(world, corpus):
    guest = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=guest.user)
    kinds = {kind for kind, _ in found(world, "ledger", guest)}
    assert kinds == {"task", "roadmap_item"}
    assert found(world, "invoice errors", guest) == []
    assert found(world, "audit", guest) == []


# ---- the query syntax --------------------------------------------------------------------------


def test_the_parser_splits_qualifiers_from_free_words():
    parsed = parse_search_query(
        'assignee:priya  state:"In Review" label:bug team:ENG priority:high sprint:current '
        'login "wrong page"'
    )
    assert parsed == ParsedQuery(
        text="login wrong page",
        filters={
            "assignee": ["priya"],
            "state": ["In Review"],
            "label": ["bug"],
            "team": ["ENG"],
            "priority": ["high"],
            "sprint": ["current"],
        },
    )


def test_urls_and_times_stay_free_words():
    assert parse_search_query("https://example.com/x at 10:30").text == (
        "https://example.com/x at 10:30"
    )


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("owner:priya", "Unknown qualifier “owner:”. Use one of "),
        ("priority:critical", "No priority “critical”. priority: takes urgent, high"),
        ("sprint:next", "No sprint “next”. sprint: takes current or none"),
        ('state:""', "“state:” needs a value"),
    ],
)
def test_the_parser_refuses_what_it_does_not_know(q, message):
    with pytest.raises(SearchQueryInvalid) as refused:
        parse_search_query(q)
    assert refused.value.text.startswith(message)
    assert refused.value.status == 400


@pytest.fixture
def qualified(world: World, corpus: Corpus) -> dict[str, Task]:
    """Tasks that differ in one attribute each, all titled "widget"."""
    team = world.team
    review = WorkflowState.objects.get(team=team, name="In Review")
    bug = LabelFactory(workspace=world.workspace, name="bug")
    sprint = SprintFactory(team=team, status="active")
    world.member.user.full_name = "Priya Raman"
    world.member.user.save()
    tasks = {
        "mine": TaskFactory(team=team, title="widget mine", assignee=world.member.user),
        "review": TaskFactory(
            team=team, title="widget review", state=review, state_category=StateCategory.STARTED
        ),
        "bug": TaskFactory(team=team, title="widget bug"),
        "high": TaskFactory(team=team, title="widget high", priority=Priority.HIGH),
        "sprint": TaskFactory(team=team, title="widget sprint", sprint=sprint),
    }
    TaskLabel.objects.create(workspace=world.workspace, task=tasks["bug"], label=bug)
    other = TeamFactory(workspace=world.workspace, key="OPS", name="Ops")
    tasks["ops"] = TaskFactory(team=other, title="widget ops", state=state_of(other))
    return tasks


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("widget assignee:me", ["mine"]),
        ("widget assignee:priya", ["mine"]),
        ("widget assignee:member", ["mine"]),  # the name before @ in the email
        ('widget state:"in review"', ["review"]),
        ("widget label:BUG", ["bug"]),
        ("widget priority:high", ["high"]),
        ("widget sprint:current", ["sprint"]),
        ("widget team:ops", ["ops"]),
        ("widget team:ops team:eng priority:high", ["high"]),  # alternatives, then AND
        ("label:bug", ["bug"]),  # qualifiers alone
    ],
)
def test_qualifiers_narrow_the_tasks(world, qualified, q, expected):
    names = {task.pk: name for name, task in qualified.items()}
    results = found(world, q)
    assert {kind for kind, _ in results} == {"task"}
    assert sorted(names[pk] for _, pk in results) == sorted(expected)


def test_qualifiers_leave_out_the_other_kinds(world, corpus):
    assert found(world, "ledger team:ENG") == [
        ("task", corpus.ledger.pk),
        ("task", corpus.invoices.pk),
    ]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("label:nope", "No label “nope”."),
        ("assignee:nobody", "No assignee “nobody”."),
        ('state:"Shipped"', "No state “Shipped”."),
        ("team:SEC", "No team “SEC”."),  # a private team is unknown to a non-member
    ],
)
def test_unknown_values_are_refused_with_their_name(world, corpus, q, message):
    with pytest.raises(SearchQueryInvalid) as refused:
        workspace_search(world.workspace, q, viewer=world.member)
    assert refused.value.text.startswith(message)


def test_a_private_team_qualifier_works_for_its_members(world, corpus):
    assert found(world, "team:SEC", corpus.insider) == [("task", corpus.private_task.pk)]


# ---- the page --------------------------------------------------------------------------------


def page(client, world: World, q: str | None = None, **extra):
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})
    return client.get(url, {"q": q} if q is not None else {}, **extra)


def test_the_empty_page_lists_the_qualifiers(member_client, world):
    body = html.unescape(page(member_client, world).content.decode())
    for name, help_text in QUALIFIERS.items():
        assert f'<code title="{help_text}">{name}:</code>' in body
    assert 'id="search-results-page"' not in body


def test_the_page_shows_a_clear_message_for_an_unknown_qualifier(member_client, world, corpus):
    response = page(member_client, world, "owner:priya ledger")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "Unknown qualifier “owner:”" in body
    assert "search-page-list" not in body


def test_the_page_links_a_comment_hit_to_its_place_on_the_task(member_client, world, corpus):
    body = page(member_client, world, "flaky checkout").content.decode()
    task_url = reverse(
        "tasks:task", kwargs={"slug": world.workspace.slug, "key": corpus.cleanup.key}
    )
    assert f'href="{task_url}#comment-{corpus.comment.pk}"' in body
    assert "Comment" in body


def test_the_page_links_a_key_result_to_its_objective(member_client, world, corpus):
    body = page(member_client, world, "invoice errors").content.decode()
    assert f'#kr-{corpus.key_result.pk}"' in body


def test_the_page_says_when_more_results_match(member_client, world, corpus, monkeypatch):
    monkeypatch.setattr("tasks.views.work.PAGE_RESULTS", 2)
    body = page(member_client, world, "ledger").content.decode()
    assert 'id="search-more"' in body
    assert "First 2 results" in body


def test_the_top_bar_partial_shows_the_query_error(member_client, world):
    response = page(member_client, world, "label:nope", HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "tasks/_search_results.html"
    assert "No label “nope”" in response.content.decode()


def test_the_page_never_shows_a_private_title(member_client, world, corpus):
    body = page(member_client, world, "acquisition").content.decode()
    assert corpus.private_task.title not in body
    assert "0 results" in body
    assert Team.objects.get(key="SEC").is_private


def test_the_page_runs_as_many_queries_for_twenty_rows_of_each_kind_as_for_one(
    member_client, world, corpus
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page(member_client, world, "ledger")  # warm-up: session and caches
    with CaptureQueriesContext(connection) as few:
        page(member_client, world, "ledger")
    roadmap = corpus.item.roadmap
    for n in range(19):
        TaskFactory(team=world.team, title=f"ledger task {n}")
        TaskCommentFactory(task=TaskFactory(team=world.team), body=f"ledger note {n}")
        KeyResultFactory(objective=corpus.objective, title=f"ledger result {n}")
        ObjectiveFactory(period=corpus.objective.period, team=world.team, title=f"ledger {n}")
        RoadmapItemFactory(roadmap=roadmap, owner_team=world.team, title=f"ledger item {n}")
    with CaptureQueriesContext(connection) as many:
        response = page(member_client, world, "ledger")
    assert len(response.context["rows"]) == 50
    assert len(many) == len(few)
