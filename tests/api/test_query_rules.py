"""Query parameters: a value the server does not know is a 400 naming the parameter, never
silently ignored, and the schema states exactly what the server accepts."""

from __future__ import annotations

import pytest

from tests.factories.work import TaskFactory

BASE = "/api/v1/workspaces/acme-inc"


def _schema_parameters(api, path: str) -> dict[str, dict]:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


def test_tasks_order_by_a_named_field_and_refuse_any_other(member_api, world):
    first, second = TaskFactory(team=world.team), TaskFactory(team=world.team)

    ascending = member_api.get(f"{BASE}/tasks/", {"ordering": "id"}).json()["results"]
    descending = member_api.get(f"{BASE}/tasks/", {"ordering": "-id"}).json()["results"]
    assert [t["id"] for t in ascending] == [first.pk, second.pk]
    assert [t["id"] for t in descending] == [second.pk, first.pk]

    for bad in ["title", "id,-rank", "", "-"]:
        response = member_api.get(f"{BASE}/tasks/", {"ordering": bad})
        assert response.status_code == 400, bad
        message = response.json()["error"]["fields"]["ordering"][0]
        assert message.startswith("Use one of: id, -id, rank, -rank")


def test_a_list_with_one_order_refuses_an_ordering(rf):
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from alignment.api_ordering import StrictOrderingFilter

    class OneOrder:
        ordering = ["-id"]

    request = Request(rf.get("/", {"ordering": "name"}))
    with pytest.raises(ValidationError, match="one fixed order"):
        StrictOrderingFilter().get_ordering(request, None, OneOrder())
    plain = Request(rf.get("/"))
    assert list(StrictOrderingFilter().get_ordering(plain, None, OneOrder())) == ["-id"]


def test_the_schema_lists_the_orderings_and_only_on_lists_that_have_them(member_api):
    tasks = _schema_parameters(member_api, "/api/v1/workspaces/{slug}/tasks/")
    fixed = _schema_parameters(member_api, "/api/v1/workspaces/{slug}/roadmap-item-dependencies/")

    assert tasks["ordering"]["schema"]["enum"][:4] == ["id", "-id", "rank", "-rank"]
    assert "ordering" not in fixed


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("tasks/", {"state": "1.5"}, "state"),
        ("tasks/", {"team": "0"}, "team"),
        ("objectives/", {"health": "sunny"}, "health"),
        ("objectives/", {"view": "forest"}, "view"),
        ("rollups/", {"status": "sunny"}, "status"),
        ("rollups/", {"node_id": "-3"}, "node_id"),
        ("findings/", {"severity": "mild"}, "severity"),
        ("deployments/", {"team": "x"}, "team"),
        ("audit-events/", {"actor": "0"}, "actor"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_it(admin_api, world, path, params, field):
    response = admin_api.get(f"{BASE}/{path}", params)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_the_schema_states_id_minimums_and_choices(member_api):
    tasks = _schema_parameters(member_api, "/api/v1/workspaces/{slug}/tasks/")
    rollups = _schema_parameters(member_api, "/api/v1/workspaces/{slug}/rollups/")
    detail = _schema_parameters(
        member_api,
        "/api/v1/workspaces/{slug}/labels/{id}/".replace("labels/{id}/", "roadmaps/{id}/"),
    )

    assert tasks["state"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**53}
    assert set(rollups["status"]["schema"]["enum"]) == {"on_track", "at_risk", "off_track"}
    assert detail["id"]["schema"]["minimum"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "audit-events/?since=0897-01-12T04:54:23-05:23&until=2026-05-13T07:12:34-16:58",
        "audit-events/export/?export_format=json&until=0008-08-19T07:12:34-16:58",
    ],
)
def test_an_instant_with_any_valid_offset_is_read_in_utc(admin_api, world, path):
    # Python reads offsets up to ±23:59, PostgreSQL refuses beyond ±15:59: a database error.
    response = admin_api.get(f"{BASE}/{path}")

    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


def test_an_unreadable_as_of_is_a_400(member_api, world):
    from tests.factories.work import SprintFactory

    sprint = SprintFactory(team=world.team)
    for bad in ["2026-13-45T10:00:00Z", "yesterday"]:
        response = member_api.get(f"{BASE}/sprints/{sprint.pk}/scope/", {"as_of": bad})
        assert response.status_code == 400, bad
        assert "as_of" in response.json()["error"]["fields"]
    fine = member_api.get(
        f"{BASE}/sprints/{sprint.pk}/scope/", {"as_of": "2026-05-01T00:00:00-16:58"}
    )
    assert fine.status_code == 200


def test_no_api_code_reads_a_query_parameter_by_hand():
    """A custom action reads its query parameters through `alignment.api_query` or a query
    serializer (docs/development.md, "Writing an API endpoint" point 3): parsed strictly, a bad
    value a 400 naming it. Only the helpers and the framework's paging and ordering classes
    touch `query_params.get` themselves."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {"alignment/api_query.py", "alignment/api_pagination.py", "alignment/api_ordering.py"}
    skipped = {"tests", "node_modules", "migrations"}
    by_hand = re.compile(r"query_params\s*(\.get\b|\[|\.getlist\b)")
    found = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not skipped & set(path.relative_to(root).parts)
        and not path.relative_to(root).parts[0].startswith(".")
        and str(path.relative_to(root)) not in allowed
        and by_hand.search(path.read_text(encoding="utf-8"))
    )
    assert found == []
