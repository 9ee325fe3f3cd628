"""Export a workspace, import it beside itself, export the copy: the two archives must agree
row for row once ids are read as positions (the copy has new ids, everything else is kept)."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from alignment.demo import DEMO_SLUG
from alignment.models import Membership, Workspace
from portability import archive
from portability.exporter import export_document
from portability.importer import import_document, insertion_order
from portability.policy import (
    DERIVED,
    EXCLUDED,
    EXPORTED,
    FILE_FIELDS,
    SOFT_REFERENCES,
    Remap,
    exported_models,
    label_of,
    unclassified_models,
)
from readmodel.models import Rollup
from tasks.models import Task

pytestmark = pytest.mark.django_db


def _seed() -> Workspace:
    call_command("seed_demo", stdout=io.StringIO())
    return Workspace.objects.get(slug=DEMO_SLUG)


def _canonical(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every id (keys, references, soft references) replaced by the row's
    position in its model's list, and people by their e-mail."""
    positions = Remap(old_slug=document["workspace"]["slug"], new_slug="same")
    positions.add("alignment.workspace", document["workspace"]["id"], 0)
    emails = {u["id"]: u["email"] for u in document["users"]}
    for label, rows in document["records"].items():
        for position, row in enumerate(sorted(rows, key=lambda r: r["id"])):
            positions.add(label, row["id"], position)
    # People are compared by e-mail: give them stable numbers from it.
    for number, (uid, _) in enumerate(sorted(emails.items(), key=lambda kv: kv[1])):
        positions.add("alignment.user", uid, number)
    canonical: dict[str, Any] = {}
    for model in exported_models():
        label = label_of(model)
        relations = {
            f.name: label_of(f.related_model)
            for f in model._meta.get_fields()
            if f.is_relation and (f.many_to_one or f.one_to_one or f.many_to_many) and f.concrete
        }
        out = []
        for row in sorted(document["records"][label], key=lambda r: r["id"]):
            fields: dict[str, Any] | None = dict(row["fields"])
            if label in SOFT_REFERENCES:
                fields = SOFT_REFERENCES[label](row["fields"], positions)
            assert fields is not None, f"{label} {row['id']} names something not exported"
            if label in FILE_FIELDS:  # a storage key: each copy stores its bytes anew
                fields.pop(FILE_FIELDS[label][1])
            for name, target in relations.items():
                value = fields.get(name)
                if isinstance(value, list):
                    fields[name] = sorted(positions.get(target, v) for v in value)
                elif value is not None:
                    fields[name] = positions.get(target, value)
            out.append(fields)
        canonical[label] = out
    canonical["users"] = sorted((u["email"], u["full_name"]) for u in document["users"])
    return canonical


def _assert_same(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Equal, or a failure naming the first model, row and fields that differ."""
    for label in expected:
        want, got = expected[label], actual.get(label)
        if want == got:
            continue
        if not isinstance(want, list) or not isinstance(got, list) or len(want) != len(got):
            pytest.fail(f"{label}: {len(want)} rows expected, {len(got or [])} found")
        for position, (a, b) in enumerate(zip(want, got, strict=True)):
            if a != b:
                fields = {k: (a.get(k), b.get(k)) for k in {*a, *b} if a.get(k) != b.get(k)}
                pytest.fail(f"{label} row {position} differs (expected, found): {fields}")
    assert set(expected) == set(actual)


def _round_trip(document: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    archive.write(buffer, document)
    buffer.seek(0)
    return archive.read(buffer)


def test_every_model_is_exported_rebuilt_or_left_out_with_a_reason():
    assert unclassified_models() == []
    labels = {label_of(m) for m in apps.get_models()}
    assert {*EXPORTED, *DERIVED, *EXCLUDED} <= labels, "the policy names a model that is gone"
    for model in exported_models():
        assert model._meta.get_field("workspace").related_model is Workspace, label_of(model)
    order = [label_of(m) for m in insertion_order()]
    assert order.index("tasks.task") > order.index("tasks.workflowstate")
    assert order.index("tasks.taskevent") > order.index("tasks.sprint")


def test_an_imported_copy_holds_the_same_rows_and_shows_the_same_numbers():
    original = _seed()
    document = _round_trip(export_document(original))
    rows_before = {label: len(rows) for label, rows in document["records"].items()}
    assert rows_before["tasks.task"] > 50
    assert rows_before["dashboards.snapshot"] > 0

    result = import_document(document, slug="acme-copy", name="Acme (copy)")

    copy = result.workspace
    assert copy.name == "Acme (copy)"
    assert copy.settings == original.settings
    assert result.users_created == []  # everyone exists here: matched by e-mail
    copied = _round_trip(export_document(copy))
    _assert_same(_canonical(document), _canonical(copied))
    # The original is untouched.
    _assert_same(_canonical(document), _canonical(_round_trip(export_document(original))))

    # The read model was rebuilt: every node shows the number its original shows.
    def numbers(workspace: Workspace) -> list[tuple[str, str]]:
        rows = Rollup.objects.filter(workspace=workspace).order_by("kind", "node_id")
        return [(r.kind, f"{r.progress}/{r.status}") for r in rows]

    assert numbers(copy) == numbers(original)
    assert (
        Membership.objects.filter(workspace=copy).count()
        == Membership.objects.filter(workspace=original).count()
    )


def test_people_unknown_here_are_created_without_a_password(tmp_path):
    original = _seed()
    target = tmp_path / "acme.zip"
    call_command("export_workspace", original.slug, "--output", str(target), stdout=io.StringIO())
    # As on another instance: the archive's people have addresses no account here has.
    document = archive.read(target)
    for person in document["users"]:
        person["email"] = "moved-" + person["email"]
    archive.write(target, document)
    people = sorted(
        ("moved-" + email, role)
        for email, role in Membership.objects.filter(workspace=original).values_list(
            "user__email", "role"
        )
    )

    out = io.StringIO()
    call_command("import_workspace", str(target), "--slug", "acme-moved", stdout=out)

    moved = Workspace.objects.get(slug="acme-moved")
    members = Membership.objects.filter(workspace=moved)
    assert sorted(members.values_list("user__email", "role")) == people
    assert not any(m.user.has_usable_password() for m in members.select_related("user"))
    assert "without a password" in out.getvalue()


def test_a_bad_archive_is_refused_and_leaves_nothing_behind(tmp_path):
    original = _seed()
    document = _round_trip(export_document(original))
    workspaces = Workspace.objects.count()

    with pytest.raises(archive.ArchiveError, match="exists"):
        import_document(document, slug=DEMO_SLUG)
    with pytest.raises(archive.ArchiveError, match="not valid"):
        import_document(document, slug="Not A Slug")
    newer = {**document, "migrations": {"tasks": ["9999_from_the_future"]}}
    with pytest.raises(archive.ArchiveError, match="newer Alignment"):
        import_document(newer, slug="acme-newer")
    # A task whose team is missing: found after many rows were written, all rolled back.
    broken = {**document, "records": dict(document["records"])}
    broken["records"]["tasks.task"] = [
        {**row, "fields": {**row["fields"], "team": 10**9}}
        for row in document["records"]["tasks.task"]
    ]
    with pytest.raises(archive.ArchiveError, match="lacks"):
        import_document(broken, slug="acme-broken")
    unknown_field = {**document, "records": dict(document["records"])}
    unknown_field["records"]["tasks.label"] = [
        {**row, "fields": {**row["fields"], "colour_of_the_sky": "blue"}}
        for row in document["records"]["tasks.label"]
    ]
    with pytest.raises(archive.ArchiveError, match="tasks.label"):
        import_document(unknown_field, slug="acme-unknown")
    assert Workspace.objects.count() == workspaces

    not_a_zip = tmp_path / "x.zip"
    not_a_zip.write_text("hello")
    with pytest.raises(CommandError, match="ZIP"):
        call_command("import_workspace", str(not_a_zip), "--slug", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No workspace"):
        call_command("export_workspace", "nope", stdout=io.StringIO())


def test_instants_keep_their_microseconds_through_an_archive():
    # JSON's usual encoding keeps milliseconds only: an instant at .000123 came back at .000,
    # so the copy differed from its original (and only when the clock's microseconds said so).
    original = _seed()
    task = Task.objects.filter(workspace=original).order_by("pk").first()
    instant = datetime.datetime(2026, 5, 12, 14, 6, 38, 123, tzinfo=datetime.UTC)
    Task.objects.filter(pk=task.pk).update(completed_at=instant)

    result = import_document(_round_trip(export_document(original)), slug="acme-micro")

    copied = Task.objects.get(
        workspace=result.workspace, number=task.number, team__key=task.team.key
    )
    assert copied.completed_at == instant
