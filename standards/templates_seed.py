"""The standards a workspace starts from: four templates an admin adds with one click."""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, dict[str, Any]] = {
    "definition-of-ready": {
        "name": "Definition of Ready",
        "description": "Work starts only when it is understood: estimated, owned and described.",
        "subject": "task",
        "gate": "started",
        "checks": [
            {"kind": "estimate_present"},
            {"kind": "required_fields", "params": {"fields": ["assignee", "description"]}},
        ],
    },
    "definition-of-done": {
        "name": "Definition of Done",
        "description": "Done means shipped: checklist finished, PR reviewed, CI green, merged.",
        "subject": "task",
        "gate": "done",
        "checks": [
            {"kind": "checklist_done"},
            {"kind": "review_approved"},
            {"kind": "ci_passing"},
            {"kind": "pr_merged"},
        ],
    },
    "sprint-work-traces-to-kr": {
        "name": "Sprint work traces to a key result",
        "description": "Every task in a sprint serves an active key result before it starts.",
        "subject": "task",
        "gate": "started",
        "checks": [{"kind": "linked_to_key_result", "params": {"only_in_sprint": True}}],
    },
    "kr-owner-and-cadence": {
        "name": "Key results have an owner and a check-in cadence",
        "description": "Every active key result has an owner who checks in every two weeks.",
        "subject": "key_result",
        "gate": "",
        "checks": [
            {"kind": "key_result_owner"},
            {"kind": "check_in_cadence", "params": {"days": 14}},
        ],
    },
}
