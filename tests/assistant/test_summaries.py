"""Summaries with citations: offline templates, the model path, and the checker that drops a
sentence whose numbers or names the cited records do not support."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assistant import summaries
from assistant.checker import Record, check, numbers_of, parse_lines, parse_sentence
from assistant.models import AssistantLog, Outcome
from okrs.models import ObjectiveStatus
from readmodel.selectors import rollups_for
from tasks.models import StateCategory
from tests.factories.okrs import CheckInFactory, KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import SprintFactory, TaskFactory, state_of

FACTS = {
    ("kr", 12): Record("kr", 12, "Weekly active teams", numbers_of(40, 80, 55, 38), "/kr/12"),
    ("objective", 3): Record("objective", 3, "Delight new customers", numbers_of(38, 50), "/o/3"),
}


def test_the_checker_keeps_a_sentence_its_cited_record_supports():
    result = check([parse_sentence("“Weekly active teams” moved from 40 to 55. [kr:12]")], FACTS)
    assert [s.text for s in result.kept] == ["“Weekly active teams” moved from 40 to 55."]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("“Weekly active teams” moved from 40 to 57. [kr:12]", "the number 57 is not"),
        ("The objective is at 38%. [kr:99]", "not in the facts (kr:99)"),
        ("Weekly active teams is at 38%.", "cites no record"),
        ("“Happy users” is at 38%. [objective:3]", "“Happy users” is not the name"),
        ("Delight new customers reached 55. [kr:12]", "names “Delight new customers” without"),
    ],
)
def test_the_checker_rejects_a_sentence_the_records_do_not_support(line, why):
    result = check([parse_sentence(line)], FACTS)
    assert result.kept == []
    assert why in result.dropped[0][1]


def test_model_lines_are_parsed_with_bullets_and_citations():
    lines = parse_lines("- At 38% [objective:3]\n\n2. Up to 55 [kr:12] [objective:3]\n")
    assert [(s.text, s.refs) for s in lines] == [
        ("At 38%", (("objective", 3),)),
        ("Up to 55", (("kr", 12), ("objective", 3))),
    ]


@pytest.fixture
def okr(world):
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(
        period=period, team=world.team, title="Delight new customers", status=ObjectiveStatus.ACTIVE
    )
    kr = KeyResultFactory(
        objective=objective, title="Weekly active teams from 40 to 80", baseline=40, target=80,
        current=Decimal("60"),
    )  # fmt: skip
    quiet = KeyResultFactory(objective=objective, title="NPS from 31 to 45", baseline=31, target=45)
    now = timezone.now()
    CheckInFactory(key_result=kr, value=50, created_at=now - timedelta(days=3))
    CheckInFactory(key_result=kr, value=60, created_at=now - timedelta(days=1))
    return objective, kr, quiet


def _texts(summary: summaries.Summary) -> list[str]:
    return [line.text for line in summary.lines]


def test_the_objective_summary_offline_cites_its_records(world, okr):
    objective, kr, quiet = okr
    summary = summaries.objective_changes(world.member, objective)
    row = rollups_for(world.workspace.pk, {"objective": [objective.pk]})[
        ("objective", objective.pk)
    ]
    assert summary.source == "offline"
    assert summary.dropped == []
    kr_row = rollups_for(world.workspace.pk, {"key_result": [kr.pk]})[("key_result", kr.pk)]
    status = summaries.F.STATUS_WORDS[row.status]
    assert _texts(summary) == [
        f"“Delight new customers” is at {row.percent}% and {status}.",
        f"“Weekly active teams from 40 to 80” had 2 check-ins this week, from 50 to 60, now "
        f"{kr_row.percent}% done.",
        "“NPS from 31 to 45” had no check-in this week and stays at 0%.",
    ]
    links = summary.lines[1].links
    assert links[0].url.endswith(f"/okrs/objectives/{objective.pk}/#kr-{kr.pk}")
    assert summary.lines[0].refs == (("objective", objective.pk),)


def test_the_weekly_summary_offline_counts_what_needs_attention(world, okr):
    objective, _, _ = okr
    summary = summaries.weekly_summary(world.member)
    assert summary.lines
    assert all(line.refs for line in summary.lines)
    assert summary.lines[0].refs == (("objective", objective.pk),)


def test_the_retro_summary_counts_done_tasks_from_the_read_model(world):
    sprint = SprintFactory(team=world.team, name="Sprint Falcon")
    done = state_of(world.team, StateCategory.DONE)
    TaskFactory(
        team=world.team, sprint=sprint, state=done, state_category=done.category, estimate=3
    )
    TaskFactory(team=world.team, sprint=sprint, estimate=2)
    summary = summaries.retro_summary(world.member, sprint)
    assert _texts(summary) == [
        "“Sprint Falcon” ran for 14 days.",
        "The team finished 1 of 2 tasks.",
        "3 of 5 points were done (60%).",
        "1 task was not finished.",
    ]
    assert summary.lines[1].links[0].url.endswith(f"/sprints/{sprint.pk}/")


@pytest.mark.parametrize("stream", [False, True])
def test_a_model_sentence_with_a_wrong_number_is_dropped_with_a_note(
    world, okr, fake_openai, stream
):
    objective, kr, _ = okr
    fake_openai.answer(
        f"“Weekly active teams from 40 to 80” rose from 50 to 60 this week. [kr:{kr.pk}]\n"
        f"“Weekly active teams from 40 to 80” rose by 17 points. [kr:{kr.pk}]\n",
        stream=stream,
    )
    summary = summaries.objective_changes(world.member, objective, stream=stream)
    assert summary.source == "model"
    assert _texts(summary) == ["“Weekly active teams from 40 to 80” rose from 50 to 60 this week."]
    assert summary.dropped == [
        ("“Weekly active teams from 40 to 80” rose by 17 points.",
         "the number 17 is not in the cited records"),
    ]  # fmt: skip
    assert "1 sentence(s) of the model were dropped" in summary.note
    log = AssistantLog.objects.get()
    assert log.outcome == Outcome.MODEL
    assert log.feature == "objective"
    assert "rose by 17" in log.output
    assert "dropped" in log.note
    assert f"[kr:{kr.pk}]" in log.prompt[1]["content"]


def test_when_every_model_sentence_fails_the_offline_summary_is_shown(world, okr, fake_openai):
    objective, _, _ = okr
    fake_openai.answer("Everything is great, 99% done.")
    summary = summaries.objective_changes(world.member, objective)
    assert summary.source == "offline"
    assert len(summary.lines) == 3
    assert "not supported by the records" in summary.note


@pytest.mark.parametrize("status", [429, 500])
def test_model_errors_fall_back_to_the_offline_summary_with_a_note(world, okr, fake_openai, status):
    objective, _, _ = okr
    fake_openai.fail(status)
    summary = summaries.objective_changes(world.member, objective)
    assert summary.source == "offline"
    assert len(summary.lines) == 3
    assert f"({status})" in summary.note
