"""The SMART goal generator: offline templates and the model path, each key result passing
the SMART review before it is offered."""

from __future__ import annotations

import json

import pytest

from assistant import generator
from assistant.models import AssistantLog, AssistantSettings, Outcome
from okrs.smart import review_key_result

SENTENCES = [
    "Make onboarding effortless for new teams",
    "Cut churn from 4% to 2% this quarter",
    "Ship faster with fewer incidents",
    "We want to hire a great platform team",
    "Be the best",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_offline_drafts_have_three_to_five_key_results_that_pass_the_smart_review(world, sentence):
    draft = generator.draft(world.member, sentence)
    assert draft.source == "offline"
    assert 3 <= len(draft.key_results) <= 5
    for kr in draft.key_results:
        assert review_key_result(kr.as_smart()).is_smart, kr
        assert kr.kind in generator.KINDS
        assert kr.baseline != kr.target
        assert kr.unit
    assert AssistantLog.objects.count() == 0  # nothing configured: nothing sent, nothing logged


def test_a_stated_from_to_becomes_the_first_key_result(world):
    draft = generator.draft(world.member, "Cut churn from 4% to 2% this quarter")
    first = draft.key_results[0]
    assert (first.title, first.kind, first.baseline, first.target, first.unit) == (
        "Cut churn from 4% to 2%",
        "percentage",
        4.0,
        2.0,
        "%",
    )


@pytest.mark.parametrize("sentence", ["", "   ", "x" * 301])
def test_an_empty_or_long_sentence_is_refused(world, sentence):
    with pytest.raises(generator.DraftError):
        generator.draft(world.member, sentence)


MODEL_ANSWER = {
    "objective": "Give new teams value on day one",
    "key_results": [
        {"title": "Time to first value from 6 to 1 days", "kind": "number", "baseline": 6,
         "target": 1, "unit": "days"},
        {"title": "Week-one retention from 55% to 75%", "kind": "percentage", "baseline": 55,
         "target": 75, "unit": "%"},
        {"title": "Improve onboarding", "kind": "number", "baseline": 0, "target": 0,
         "unit": ""},
        {"title": "Setup tickets per week from 30 to 10", "kind": "number", "baseline": 30,
         "target": 10, "unit": "tickets"},
    ],
}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True])
def test_the_model_drafts_and_a_key_result_failing_the_review_is_set_aside(
    world, fake_openai, stream
):
    fake_openai.answer("```json\n" + json.dumps(MODEL_ANSWER) + "\n```", stream=stream)
    draft = generator.draft(world.member, "Make onboarding effortless", stream=stream)
    assert draft.source == "model"
    assert draft.title == "Give new teams value on day one"
    titles = [kr.title for kr in draft.key_results]
    assert titles == [
        "Time to first value from 6 to 1 days",
        "Week-one retention from 55% to 75%",
        "Setup tickets per week from 30 to 10",
    ]
    assert draft.set_aside[0]["title"] == "Improve onboarding"
    assert "vague_verb" in draft.set_aside[0]["findings"]
    log = AssistantLog.objects.get()
    assert log.workspace == world.workspace
    assert log.actor == world.member.user
    assert log.outcome == Outcome.MODEL
    assert log.feature == "draft"
    assert log.prompt[1] == {"role": "user", "content": "Make onboarding effortless"}
    assert "Give new teams value" in log.output


def test_a_model_with_too_few_good_key_results_is_topped_up_from_templates(world, fake_openai):
    fake_openai.answer(
        json.dumps({"objective": "Onboard", "key_results": MODEL_ANSWER["key_results"][:1]})
    )
    draft = generator.draft(world.member, "Make onboarding effortless")
    assert len(draft.key_results) >= 3
    assert draft.key_results[0].title == "Time to first value from 6 to 1 days"
    assert "templates filled in the rest" in draft.note


def test_an_answer_that_is_not_json_falls_back_to_templates(world, fake_openai):
    fake_openai.answer("Sure! Here are some ideas: be faster.")
    draft = generator.draft(world.member, "Make onboarding effortless")
    assert draft.source == "offline"
    assert 3 <= len(draft.key_results) <= 5


@pytest.mark.parametrize("status", [429, 500])
def test_errors_fall_back_to_the_offline_draft_with_a_note(world, fake_openai, status):
    fake_openai.fail(status)
    draft = generator.draft(world.member, "Make onboarding effortless")
    assert draft.source == "offline"
    assert len(draft.key_results) >= 3
    assert f"({status})" in draft.note
    assert "offline answer is shown" in draft.note
    log = AssistantLog.objects.get()
    assert log.outcome == Outcome.FALLBACK
    assert f"({status})" in log.note


def test_a_timeout_falls_back_with_a_note(world, fake_openai, settings):
    settings.ASSISTANT_TIMEOUT = 0.3
    fake_openai.stall(1.2)
    draft = generator.draft(world.member, "Make onboarding effortless")
    assert draft.source == "offline"
    assert "did not answer within 0.3 s" in draft.note


def test_a_workspace_that_turned_the_model_off_sends_nothing(world, fake_openai):
    AssistantSettings.objects.create(workspace=world.workspace, model_enabled=False)
    draft = generator.draft(world.member, "Make onboarding effortless")
    assert draft.source == "offline"
    assert "turned off" in draft.note
    assert fake_openai.requests == []
    assert AssistantLog.objects.count() == 0
