"""Schemathesis's stateful phase: sequences of calls chained by the links it infers from the
schema (a created team's id feeds GET/PUT/DELETE of that team, a task's key its comments, …).

Every response along a sequence gets every check, including the ones only a sequence can
make: a resource just created can be read (`ensure_resource_availability`) and one just
deleted is gone (`use_after_free`). Requests carry the owner's write token and the world's
workspace slug, as in the stateless run.
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.api.test_schemathesis import CHECKS, SCHEMA
from tests.conftest import forget_cached

# Scenarios and steps; API_FUZZ_SCENARIOS=200 for a deeper hunt. At 30, run after the stateless
# fuzzing in one process (as CI groups them), the sequence chained only once: 60 chain enough.
SCENARIOS = int(os.environ.get("API_FUZZ_SCENARIOS", "60"))


@pytest.mark.usefixtures("_test_connection_kept_open")
def test_call_sequences_answer_as_documented(fuzz_world):
    world, raw = fuzz_world
    base = SCHEMA.as_state_machine()
    chained: list[str] = []  # the steps that fed one response's values into the next call

    class Workflow(base):  # type: ignore[misc,valid-type]
        # Each scenario starts from the same world: Hypothesis replays scenarios to shrink
        # them, and one that met rows an earlier scenario left would not replay the same.
        def setup(self):
            self.savepoint = transaction.savepoint()
            forget_cached()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def step(self, input):
            if input.transition is not None and input.is_applied:
                chained.append(input.transition.id)
            return super().step(input)

        def before_call(self, case):
            if case.path_parameters and "slug" in case.path_parameters:
                case.path_parameters["slug"] = world.workspace.slug

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {raw}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    # Sequences, not single calls: ids and keys from responses reached later calls.
    assert len(chained) >= 5, chained
