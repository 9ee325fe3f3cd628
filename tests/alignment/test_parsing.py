import pytest

from alignment.parsing import is_digits, parse_id
from tests.factories.core import TeamFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        ("0042", 42),
        ("9" * 15, int("9" * 15)),
        ("9" * 16, None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1.5", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_parse_id_accepts_only_short_ascii_digit_strings(raw, expected):
    assert parse_id(raw) == expected
    assert is_digits(raw) is (expected is not None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status"),
    [("assignee=%C2%B2", 200), ("assignee=" + "9" * 40, 200), ("sprint=%C2%B2", 404)],
)
def test_board_with_odd_digits_is_ignored_or_not_found_never_500(
    member_client, world, query, status
):
    response = member_client.get(f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/?{query}")
    assert response.status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize("team", ["%C2%B2", "x", "0", "1.5", "9" * 40])
def test_api_filter_with_a_team_that_is_not_an_id_is_a_400_naming_it(member_api, world, team):
    url = f"/api/v1/workspaces/{world.workspace.slug}/workflow-states/?team={team}"
    response = member_api.get(url)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["team"]


@pytest.mark.django_db
def test_api_filter_with_a_team_id_lists_that_teams_states(member_api, world):
    other = TeamFactory(workspace=world.workspace)
    url = f"/api/v1/workspaces/{world.workspace.slug}/workflow-states/"
    states = member_api.get(url, {"team": world.team.pk}).json()
    everyone = member_api.get(url).json()
    assert {state["team"] for state in everyone} == {world.team.pk, other.pk}
    assert states == [state for state in everyone if state["team"] == world.team.pk]
