"""Schemathesis fuzzes every operation of the live schema in-process, with a real write token.

The schema is loaded from /api/schema/ through the WSGI app, every request carries a write
token of the test workspace's owner, and `slug` is pinned to that workspace, so the fuzzer
reaches the views rather than the 404 of a random slug. Each operation gets a bounded number
of positive and negative examples and must answer without a 5xx, with a documented status code
and a body that matches the schema.

Known bugs found by the fuzzer are listed in KNOWN_FAILURES with the bug they stand for; those
operations are marked xfail (not skipped), so the test reports when the bug is fixed.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS

# Examples per operation and mode. ~100 operations x 2 modes x 5 examples keeps the run near a
# minute on one core; raise it (API_FUZZ_EXAMPLES=50) for a deeper hunt.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
# Every check schemathesis has (`--checks all`): server errors, status codes, content types,
# headers and bodies as documented, invalid input refused, valid input accepted, auth honoured.
CHECKS = REGISTERED_CHECKS.get_all()

# "<mode> METHOD /path" -> the bug it currently hits. Remove an entry when its bug is fixed.
KNOWN_FAILURES: dict[str, str] = {}

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", APP)


def _json_bodies_only(raw: dict) -> None:
    # The API speaks JSON; DRF also parses form and multipart bodies, so the schema lists them,
    # but fuzzing three encodings of the same body triples the run for no new behaviour.
    for operations in raw["paths"].values():
        for operation in operations.values():
            content = (
                operation.get("requestBody", {}).get("content")
                if isinstance(operation, dict)
                else None
            )
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {
                    "application/json": content["application/json"]
                }


_json_bodies_only(SCHEMA.raw_schema)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _has_input_to_negate(operation) -> bool:
    """A body, or a path or query parameter besides the pinned slug; headers are free text."""
    definition = operation.definition.raw
    parameters = [p for p in definition.get("parameters", []) if p.get("in") in ("path", "query")]
    return "requestBody" in definition or any(p["name"] != "slug" for p in parameters)


def _params():
    for operation in OPERATIONS:
        modes = [GenerationMode.POSITIVE]
        if _has_input_to_negate(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            label = f"{mode.value} {_label(operation)}"
            known = KNOWN_FAILURES.get(label)
            marks = [pytest.mark.xfail(reason=known, strict=False)] if known else []
            yield pytest.param(operation, mode, id=label, marks=marks)


@pytest.mark.parametrize(("operation", "mode"), list(_params()))
@pytest.mark.usefixtures("_test_connection_kept_open")
def test_operation_answers_as_documented(operation, mode, fuzz_world):
    world, raw = fuzz_world
    path_parameters = {"slug": world.workspace.slug} if "{slug}" in operation.path else {}
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path_parameters,
        headers={"Authorization": f"Bearer {raw}"},
        # The API is JSON; the form and multipart parsers DRF also accepts are not fuzzed.
        media_type="application/json",
    )

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,
        database=None,
    )
    def run(case):
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        pytest.skip("schemathesis found nothing in this operation's input to make invalid")
