"""Audit log export (CSV/JSON, streamed, formula-safe, filtered, admin only) and retention."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from alignment import tasks
from alignment.audit_retention import audit_prune, audit_retention_days, audit_retention_set
from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent, Workspace

pytestmark = pytest.mark.django_db


def event(world, verb="team.updated", actor=None, at=None, **fields):
    return AuditEvent.objects.create(
        workspace=fields.pop("workspace", world.workspace),
        actor=actor if actor is not None else world.admin.user,
        verb=verb,
        object_type="team",
        object_id=str(world.team.pk),
        object_repr=fields.pop("object_repr", str(world.team)),
        created_at=at or timezone.now(),
        **fields,
    )


def export_url(world, **query):
    url = reverse("workspace:audit_export", kwargs={"slug": world.workspace.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_export_url(world, **query):
    url = reverse("api-audit-events-export", kwargs={"slug": world.workspace.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body_of(response))))


def test_csv_export_streams_every_event_newest_first(admin_client, world):
    now = timezone.now()
    old = event(world, verb="team.created", at=now - timedelta(days=2), after={"name": "Eng"})
    new = event(world, verb="team.deleted", at=now - timedelta(hours=1), before={"name": "Eng"})

    response = admin_client.get(export_url(world, export_format="csv"))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-acme-inc-')
    rows = csv_rows(response)
    assert [r["id"] for r in rows] == [str(new.pk), str(old.pk)]
    assert rows[0]["verb"] == "team.deleted"
    assert rows[0]["actor_email"] == "admin@acme.example.com"
    assert json.loads(rows[0]["before"]) == {"name": "Eng"}
    assert rows[0]["after"] == ""


def test_csv_cells_that_would_run_as_formulas_are_quoted(admin_client, world):
    event(world, object_repr='=HYPERLINK("http://evil.example","x")', after={"name": "+1"})

    rows = csv_rows(admin_client.get(export_url(world)))

    assert rows[0]["object_repr"] == '\'=HYPERLINK("http://evil.example","x")'
    # The JSON cell starts with "{", so it is no formula; the formula inside it stays text.
    assert rows[0]["after"] == '{"name": "+1"}'


def test_json_export_is_an_array_of_the_same_records(admin_client, world):
    first = event(world, verb="team.created", at=timezone.now() - timedelta(minutes=5))
    second = event(world, verb="team.updated", actor=world.owner.user, after={"key": "CORE"})

    response = admin_client.get(export_url(world, export_format="json"))

    assert response["Content-Type"] == "application/json"
    data = json.loads(body_of(response))
    assert [item["id"] for item in data] == [second.pk, first.pk]
    assert data[0] == {
        "id": second.pk,
        "created_at": second.created_at.isoformat(),
        "actor_id": world.owner.user.pk,
        "actor_email": "owner@acme.example.com",
        "verb": "team.updated",
        "object_type": "team",
        "object_id": str(world.team.pk),
        "object_repr": str(world.team),
        "before": None,
        "after": {"key": "CORE"},
    }


def test_an_empty_json_export_is_an_empty_array(admin_client, world):
    assert json.loads(body_of(admin_client.get(export_url(world, export_format="json")))) == []


def test_export_applies_the_date_actor_and_action_filters(admin_client, world):
    now = timezone.now()
    event(world, verb="team.created", at=now - timedelta(days=10))
    kept = event(world, verb="team.updated", at=now - timedelta(days=1), actor=world.owner.user)
    event(world, verb="team.updated", at=now - timedelta(days=1))  # by the admin
    event(world, verb="team.deleted", at=now - timedelta(days=1), actor=world.owner.user)
    since = (now - timedelta(days=3)).date().isoformat()
    until = now.date().isoformat()

    rows = csv_rows(
        admin_client.get(
            export_url(
                world, since=since, until=until, actor=world.owner.user.pk, verb="team.updated"
            )
        )
    )

    assert [r["id"] for r in rows] == [str(kept.pk)]


def test_export_never_includes_another_workspaces_events(admin_client, world, world_b):
    event(world_b, verb="team.deleted", workspace=world_b.workspace, actor=world_b.admin.user)

    assert csv_rows(admin_client.get(export_url(world))) == []


def test_export_with_a_bad_filter_or_format_is_400(admin_client, world):
    assert admin_client.get(export_url(world, since="yesterday")).status_code == 400
    assert admin_client.get(export_url(world, export_format="xlsx")).status_code == 400


def test_members_cannot_export(member_client, world):
    event(world)

    response = member_client.get(export_url(world))

    assert response.status_code == 403
    assert not getattr(response, "streaming", False)


def test_the_audit_page_links_to_both_exports_with_its_filters(admin_client, world):
    url = reverse("workspace:audit", kwargs={"slug": world.workspace.slug})

    body = admin_client.get(url + "?verb=team.created&page=2").content.decode()

    assert f"{export_url(world)}?verb=team.created&amp;export_format=csv" in body
    assert f"{export_url(world)}?verb=team.created&amp;export_format=json" in body


def test_api_export_streams_csv_and_json_for_admins(admin_api, world):
    event(world, verb="team.created", object_repr="@SUM(A1)")

    as_csv = admin_api.get(api_export_url(world, verb="team.created"))
    as_json = admin_api.get(api_export_url(world, export_format="json"))

    assert as_csv.status_code == 200
    assert csv_rows(as_csv)[0]["object_repr"] == "'@SUM(A1)"
    assert [item["verb"] for item in json.loads(body_of(as_json))] == ["team.created"]


def test_api_export_accepts_an_accept_text_csv_header(admin_api, world):
    response = admin_api.get(api_export_url(world), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_api_export_refuses_an_unknown_format_and_members(admin_api, member_api, world):
    bad = admin_api.get(api_export_url(world, export_format="xml"))
    refused = member_api.get(api_export_url(world))

    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"export_format": ["Use one of: csv, json."]}
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "role_required"


# --- Retention ------------------------------------------------------------------------------


def test_retention_defaults_to_forever_and_prunes_nothing(world):
    event(world, at=timezone.now() - timedelta(days=5000))

    assert audit_retention_days(world.workspace) is None
    assert audit_prune(workspace=world.workspace, now=timezone.now()) == 0
    assert AuditEvent.objects.for_workspace(world.workspace).count() == 1


def test_owner_sets_retention_and_it_is_audited(world):
    audit_retention_set(actor=world.owner, days=90)

    world.workspace.refresh_from_db()
    assert audit_retention_days(world.workspace) == 90
    change = AuditEvent.objects.get(verb="workspace.audit_retention_changed")
    assert (change.before, change.after) == ({"retention_days": None}, {"retention_days": 90})


@pytest.mark.parametrize("days", [0, 29, -1, 36501])
def test_retention_below_30_days_is_refused(world, days):
    with pytest.raises(FieldErrors):
        audit_retention_set(actor=world.owner, days=days)

    world.workspace.refresh_from_db()
    assert audit_retention_days(world.workspace) is None


def test_admins_cannot_change_retention(world):
    with pytest.raises(RoleRequired):
        audit_retention_set(actor=world.admin, days=30)


def test_prune_deletes_only_events_older_than_the_retention_of_that_workspace(world, world_b):
    now = timezone.now()
    audit_retention_set(actor=world.owner, days=30)
    world.workspace.refresh_from_db()
    old = event(world, at=now - timedelta(days=30, seconds=1))
    edge = event(world, at=now - timedelta(days=30) + timedelta(seconds=1))
    other = event(world_b, workspace=world_b.workspace, at=now - timedelta(days=400))

    deleted = audit_prune(workspace=world.workspace, now=now)

    assert deleted == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk__in=[edge.pk, other.pk]).count() == 2


def test_prune_deletes_in_batches(world, monkeypatch):
    monkeypatch.setattr("alignment.audit_retention.DELETE_BATCH", 2)
    audit_retention_set(actor=world.owner, days=30)
    world.workspace.refresh_from_db()
    for days in range(31, 36):
        event(world, at=timezone.now() - timedelta(days=days))

    assert audit_prune(workspace=world.workspace, now=timezone.now()) == 5
    assert not AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=30))


def test_the_periodic_task_applies_every_workspaces_retention(world, world_b):
    audit_retention_set(actor=world.owner, days=60)
    now = timezone.now()
    event(world, at=now - timedelta(days=61))
    event(world_b, workspace=world_b.workspace, at=now - timedelta(days=61))  # keeps forever

    assert tasks.audit_log_prune.delay().get() == 1
    assert AuditEvent.objects.for_workspace(world_b.workspace).count() == 1


def test_the_beat_schedule_runs_the_prune_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-audit-log"]

    assert entry["task"] == "alignment.audit_log_prune"


def test_the_command_prunes_and_can_dry_run(world):
    audit_retention_set(actor=world.owner, days=30)
    event(world, at=timezone.now() - timedelta(days=45))
    out = io.StringIO()

    call_command("prune_audit_log", "--workspace", "acme-inc", "--dry-run", stdout=out)
    assert "acme-inc: would delete 1 audit events" in out.getvalue()
    assert AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=30)).exists()

    call_command("prune_audit_log", stdout=out)
    assert "acme-inc: deleted 1 audit events" in out.getvalue()
    assert not AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=30))


def test_the_command_refuses_an_unknown_workspace():
    with pytest.raises(CommandError, match="No workspace has the slug nope"):
        call_command("prune_audit_log", "--workspace", "nope")


def test_owner_sets_retention_on_the_audit_page(owner_client, world):
    url = reverse("workspace:audit_retention", kwargs={"slug": world.workspace.slug})

    response = owner_client.post(url, {"days": "45"})

    assert response.status_code == 303
    assert audit_retention_days(Workspace.objects.get(pk=world.workspace.pk)) == 45
    page = owner_client.get(response["Location"]).content.decode()
    assert "Events older than <strong>45 days</strong> are deleted every night." in page


def test_a_too_short_retention_on_the_page_is_422_and_changes_nothing(owner_client, world):
    url = reverse("workspace:audit_retention", kwargs={"slug": world.workspace.slug})

    response = owner_client.post(url, {"days": "7"})

    assert response.status_code == 422
    assert "Keep at least 30 days" in response.content.decode()
    assert audit_retention_days(Workspace.objects.get(pk=world.workspace.pk)) is None


def test_clearing_retention_on_the_page_keeps_everything(owner_client, world):
    audit_retention_set(actor=world.owner, days=90)
    url = reverse("workspace:audit_retention", kwargs={"slug": world.workspace.slug})

    owner_client.post(url, {"days": ""})

    assert audit_retention_days(Workspace.objects.get(pk=world.workspace.pk)) is None
