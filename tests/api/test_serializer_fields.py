"""alignment.api_serializers.ModelSerializer builds a class's fields once and copies them."""

from __future__ import annotations

from alignment.api_serializers import ModelSerializer
from alignment.models import Team


class TeamOut(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "key"]


class WiderTeamOut(TeamOut):
    class Meta(TeamOut.Meta):
        fields = ["id", "name", "key", "description", "is_private"]


def test_each_serializer_binds_its_own_copy_of_the_fields():
    first, second = TeamOut(), TeamOut()

    assert list(first.fields) == list(second.fields) == ["id", "name", "key"]
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second


def test_a_change_to_one_instances_field_does_not_reach_the_next():
    changed = TeamOut()
    changed.fields["name"].read_only = True
    changed.fields.pop("key")

    fresh = TeamOut()
    assert list(fresh.fields) == ["id", "name", "key"]
    assert fresh.fields["name"].read_only is False


def test_a_subclass_builds_its_own_fields_not_its_parents():
    assert list(TeamOut().fields) == ["id", "name", "key"]
    assert list(WiderTeamOut().fields) == ["id", "name", "key", "description", "is_private"]
    assert list(TeamOut().fields) == ["id", "name", "key"]


def test_the_copied_fields_still_validate_with_the_models_rules():
    serializer = TeamOut(data={"name": "x" * 101, "key": "lower"})

    assert not serializer.is_valid()
    assert "name" in serializer.errors
    assert "key" in serializer.errors
