"""Suspected duplicate work in two teams: near-equal titles of open tasks, found by the drift
job with pg_trgm on PostgreSQL and the same trigrams in Python elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alignment.models import Team
from dashboards import drift, duplicates
from dashboards.models import Finding
from dashboards.reasons import Names, finding_keys, finding_sentence, shown
from tasks import services
from tasks.models import StateCategory as C
from tasks.models import Task
from tasks.similarity import portable_similarity
from tests.conftest import World
from tests.dashboards.conftest import Plan
from tests.factories import TeamFactory
from tests.factories.work import TaskFactory, state_of
from tests.services import require_postgres

pytestmark = pytest.mark.django_db

FIRST = "Add CSV export to the reports page"
SECOND = "Add CSV export for reports page"  # 72% alike as raw trigrams, 100% as work
RETRIES = "Webhook retries with exponential backoff"
REWORDED = "Retry failed webhooks with backoff"  # 66% alike as work


@pytest.fixture
def growth(world: World) -> Team:
    return TeamFactory(workspace=world.workspace, name="Growth", key="GRO")


def duplicate_findings(workspace) -> list[Finding]:
    drift.refresh_findings(workspace)
    return list(Finding.objects.filter(workspace=workspace, code="duplicate_work"))


def test_near_duplicate_titles_in_two_teams_are_flagged(plan: Plan, growth: Team):
    first = plan.task(item=None, estimate="3", category=C.BACKLOG, team=plan.team)
    first.title = FIRST
    first.save()
    second = TaskFactory(team=growth, title=SECOND)

    [finding] = duplicate_findings(plan.world.workspace)

    assert (finding.subject_kind, finding.subject_id, finding.severity) == (
        "task",
        second.pk,
        "at_risk",
    )
    assert finding.team_id == growth.pk
    assert finding.numbers == {
        "similarity": duplicates.pair_score(FIRST, SECOND),
        "minimum": 0.65,
        "link": 0.0,
    }
    assert finding.evidence == [["task", first.pk], ["team", growth.pk], ["team", plan.team.pk]]


def test_the_sentence_names_both_tasks_and_both_teams(plan: Plan, growth: Team):
    first = TaskFactory(team=plan.team, title=FIRST)
    second = TaskFactory(team=growth, title=SECOND)
    [finding] = duplicate_findings(plan.world.workspace)

    names = Names.load(plan.world.workspace, finding_keys([finding]))

    assert finding_sentence(finding, names) == (
        f"“GRO-{second.number} {SECOND}” (Growth) and “{plan.team.key}-{first.number} {FIRST}” "
        f"({plan.team.name}) look like the same work in two teams: their titles are 100% alike "
        "(the threshold is 65%). Neither is linked to a roadmap item."
    )


def test_every_record_behind_the_finding_is_linked_on_the_leader_dashboard_and_resolves(
    plan: Plan, growth: Team, viewer_client
):
    TaskFactory(team=plan.team, title=FIRST, roadmap_item=plan.item_a)
    TaskFactory(team=growth, title=SECOND, roadmap_item=plan.item_a)
    [finding] = duplicate_findings(plan.world.workspace)
    url = reverse("dashboards:leader", kwargs={"slug": plan.world.workspace.slug})

    html = viewer_client.get(url).content.decode()

    section = html.split(f'id="finding-{finding.pk}"')[1].split("</li>")[0]
    assert "look like the same work in two teams" in section
    assert "Both belong to the roadmap item “Billing revamp”." in section
    keys = [[finding.subject_kind, finding.subject_id], *finding.evidence]
    assert [k for k, _ in keys] == ["task", "task", "team", "team", "roadmap_item"]
    names = Names.load(plan.world.workspace, finding_keys([finding]))
    [item] = shown([finding], names)
    for link in [item.subject, *item.evidence]:
        assert link is not None
        assert f'data-kind="{link.kind}" data-id="{link.id}"' in section
        assert link.url, link
        assert viewer_client.get(link.url).status_code == 200, link.url


def test_tasks_under_items_serving_the_same_key_result_are_flagged(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title=FIRST, roadmap_item=plan.item_a)
    TaskFactory(team=growth, title=SECOND, roadmap_item=plan.item_b)

    [finding] = duplicate_findings(plan.world.workspace)

    assert finding.numbers["link"] == 2.0
    assert finding.evidence[-1] == ["key_result", plan.from_work.pk]


def test_a_linked_and_an_unlinked_task_are_flagged(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title=FIRST, roadmap_item=plan.item_a)
    TaskFactory(team=growth, title=SECOND)

    [finding] = duplicate_findings(plan.world.workspace)

    assert finding.numbers["link"] == 3.0


def test_tasks_serving_different_things_are_not_flagged(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title=FIRST, roadmap_item=plan.item_a)
    TaskFactory(team=growth, title=SECOND, roadmap_item=plan.item_loose)

    assert duplicate_findings(plan.world.workspace) == []


def test_near_duplicates_within_one_team_are_not_flagged(plan: Plan):
    TaskFactory(team=plan.team, title=FIRST)
    TaskFactory(team=plan.team, title=SECOND)

    assert duplicate_findings(plan.world.workspace) == []


def test_near_duplicates_in_two_workspaces_are_not_flagged(plan: Plan, world_b: World):
    TaskFactory(team=plan.team, title=FIRST)
    TaskFactory(team=world_b.team, title=SECOND)

    assert duplicate_findings(plan.world.workspace) == []
    assert duplicate_findings(world_b.workspace) == []


def test_dissimilar_titles_are_not_flagged(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title="Add CSV export")
    TaskFactory(team=growth, title="Add PDF export")  # 58% alike: other work

    assert duplicate_findings(plan.world.workspace) == []


def test_closed_tasks_are_not_flagged(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title=FIRST, state=state_of(plan.team, C.DONE))
    TaskFactory(team=growth, title=SECOND)

    assert duplicate_findings(plan.world.workspace) == []


def test_a_pair_marked_not_a_duplicate_is_not_flagged(plan: Plan, growth: Team):
    first = TaskFactory(team=plan.team, title=FIRST)
    second = TaskFactory(team=growth, title=SECOND)
    services.task_mark_not_duplicate(actor=plan.world.member, task=second, other=first)

    assert duplicate_findings(plan.world.workspace) == []


def test_the_minimum_similarity_is_a_workspace_setting(plan: Plan, growth: Team):
    workspace = plan.world.workspace
    TaskFactory(team=plan.team, title=RETRIES)
    TaskFactory(team=growth, title=REWORDED)
    workspace.settings = {"dashboards": {"duplicate_similarity_min": 0.7}}
    workspace.save()

    assert duplicate_findings(workspace) == []

    workspace.settings = {"dashboards": {"duplicate_similarity_min": 0.1}}
    workspace.save()
    [finding] = duplicate_findings(workspace)
    assert finding.numbers["minimum"] == 0.2  # nothing below the candidate floor is compared


def test_the_same_work_in_other_words_is_flagged_at_the_default_minimum(plan: Plan, growth: Team):
    TaskFactory(team=plan.team, title=RETRIES)
    reworded = TaskFactory(team=growth, title=REWORDED)

    [finding] = duplicate_findings(plan.world.workspace)

    assert finding.subject_id == reworded.pk
    assert portable_similarity(RETRIES, REWORDED) < 0.5  # the old rule (0.7) missed it
    assert finding.numbers["similarity"] == duplicates.pair_score(RETRIES, REWORDED) == 0.6571


def test_only_recently_changed_tasks_look_for_partners(plan: Plan, growth: Team):
    workspace = plan.world.workspace
    first = TaskFactory(team=plan.team, title=FIRST)
    second = TaskFactory(team=growth, title=SECOND)
    long_ago = timezone.now() - timedelta(days=31)
    Task.objects.filter(pk__in=[first.pk, second.pk]).update(
        created_at=long_ago, updated_at=long_ago
    )

    assert duplicate_findings(workspace) == []

    # One of them changed recently: it finds its old partner in the other team's backlog.
    Task.objects.filter(pk=first.pk).update(updated_at=timezone.now())
    [finding] = duplicate_findings(workspace)
    assert {finding.subject_id, finding.evidence[0][1]} == {first.pk, second.pk}

    workspace.settings = {"dashboards": {"duplicate_window_days": 60}}
    workspace.save()
    Task.objects.filter(pk=first.pk).update(updated_at=long_ago)
    assert len(duplicate_findings(workspace)) == 1


def test_each_task_is_named_in_one_finding_at_most(plan: Plan, growth: Team):
    mobile = TeamFactory(workspace=plan.world.workspace, name="Mobile", key="MOB")
    TaskFactory(team=plan.team, title=FIRST)
    TaskFactory(team=growth, title=FIRST)
    TaskFactory(team=mobile, title=SECOND)

    [finding] = duplicate_findings(plan.world.workspace)

    assert finding.numbers["similarity"] == 1.0


def test_the_backends_agree_on_the_pairs_and_scores(plan: Plan, growth: Team):
    """On PostgreSQL the index query and the portable search find the same pairs."""
    require_postgres()
    assert connection.vendor == "postgresql"
    workspace = plan.world.workspace
    for title in (FIRST, "Fix Safari login redirect loop", "Crash when uploading large images"):
        TaskFactory(team=plan.team, title=title)
    for title in (SECOND, "Fix login redirect loop on Safari", "Write the quarterly report"):
        TaskFactory(team=growth, title=title)
    probes = duplicates._probes(workspace, timezone.now() - timedelta(days=1))

    by_index = duplicates._postgres_candidates(workspace, probes)
    portable = duplicates._portable_candidates(workspace, probes)

    assert sorted(by_index) == sorted(portable)
    titles = {frozenset((ta, tb)) for _, _, ta, tb in by_index}
    assert frozenset((FIRST, SECOND)) in titles
    assert (
        frozenset(("Fix Safari login redirect loop", "Fix login redirect loop on Safari")) in titles
    )
    assert (
        frozenset(("Crash when uploading large images", "Write the quarterly report")) not in titles
    )


def test_a_search_past_its_budget_keeps_the_findings_it_had(
    plan: Plan, growth: Team, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """At a million tasks a probe can match tens of thousands of titles: past its time budget
    the search gives no answer, and no answer must not read as "no duplicates"."""
    require_postgres()
    TaskFactory(team=plan.team, title=FIRST)
    TaskFactory(team=growth, title=SECOND)
    # Enough alike titles that the one candidate query cannot finish within a millisecond.
    for n in range(150):
        TaskFactory(team=plan.team, title=f"Export the reports page as CSV, variant {n}")
        TaskFactory(team=growth, title=f"Export reports page to CSV, case {n}")
    before = duplicate_findings(plan.world.workspace)
    assert before

    monkeypatch.setattr(duplicates, "SEARCH_BUDGET_MS", 1)
    with caplog.at_level("WARNING", logger="dashboards.drift_work"):
        after = duplicate_findings(plan.world.workspace)

    assert sorted(f.pk for f in after) == sorted(f.pk for f in before)
    assert "not refreshed" in caplog.text
    # The settings the search changed for itself are back as they were.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        assert cursor.fetchone()[0] == "0"
