"""docs/webhooks.md documents every webhook event type with an example, and the shape check the
end-to-end tests (test_domain_webhooks.py) hold real bodies to: `documented_example` reads an
example, `shape_mismatches` says where a body's structure differs from it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from integrations.webhooks import EVENT_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
DOMAIN_TYPES = [t for t in EVENT_TYPES if t not in ("ping", "task.deleted")]


def documented_example(name: str) -> Any:
    r"""The JSON block under the `### \`<name>\`` heading of docs/webhooks.md (an event type,
    or a resource shape such as `<task>`)."""
    text = DOCS.read_text()
    match = re.search(rf"^### `{re.escape(name)}`\n.*?```json\n(.*?)```", text, re.S | re.M)
    assert match, f"docs/webhooks.md has no example for {name}"
    return json.loads(match.group(1))


PLACEHOLDER = re.compile(r"^<[a-z_]+>$")
# Objects whose keys are the workspace's own names (custom fields): any keys, any values.
FREE_MAPS = ("custom_fields",)


def shape_mismatches(documented: Any, real: Any, path: str = "") -> list[str]:
    """Where `real` differs in structure from `documented`. `"<task>"` stands for the
    documented `<task>` shape; null on either side matches anything (fields are nullable)."""
    if isinstance(documented, str) and PLACEHOLDER.match(documented):
        documented = documented_example(documented)
    if documented is None or real is None:
        return []
    if path.rsplit(".", 1)[-1] in FREE_MAPS and isinstance(documented, dict):
        return [] if isinstance(real, dict) else [f"{path}: object documented, not sent"]
    if isinstance(documented, dict) and isinstance(real, dict):
        problems = []
        if set(documented) != set(real):
            problems.append(f"{path}: keys differ: {sorted(set(documented) ^ set(real))}")
        for key in set(documented) & set(real):
            problems += shape_mismatches(documented[key], real[key], f"{path}.{key}")
        return problems
    if isinstance(documented, list) and isinstance(real, list):
        if documented and real:
            return shape_mismatches(documented[0], real[0], f"{path}[0]")
        return []
    if isinstance(documented, dict | list) or isinstance(real, dict | list):
        return [f"{path}: {type(documented).__name__} documented, {type(real).__name__} sent"]
    return []


def test_every_event_type_is_documented_with_an_example():
    for event_type in [*DOMAIN_TYPES, "ping"]:
        assert documented_example(event_type)["type"] == event_type


def test_the_shape_check_catches_a_missing_field():
    documented = {"data": {"task": "<task>"}}
    real_task = dict(documented_example("<task>"))
    real_task.pop("labels")
    assert shape_mismatches(documented, {"data": {"task": real_task}}) == [
        ".data.task: keys differ: ['labels']"
    ]
