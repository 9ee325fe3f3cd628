"""OKR export and import together: the export page offers the import, and an export imports
back to the same OKRs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from integrations.models import ImportStatus
from okrs.models import KeyResult, KeyResultKind, KeyResultSource, Objective, ObjectiveLevel
from tests.factories.core import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.integrations.okr_import_steps import commit, upload_and_map, url

pytestmark = pytest.mark.django_db


def test_the_export_page_links_admins_to_the_imports(world, admin_client, viewer_client):
    html = admin_client.get(url(world, "export_index")).content.decode()
    assert html.count('id="imports"') == 1
    assert "<title>Export · Acme Inc" in html
    assert url(world, "import_okrs_upload") in html
    assert url(world, "import_okrs_template") in html
    assert (
        url(world, "import_okrs_upload")
        not in viewer_client.get(url(world, "export_index")).content.decode()
    )


def _export(client, world) -> list[dict[str, str]]:
    response = client.get(url(world, "export_okrs"))
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _without_ids(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {k: v for k, v in row.items() if k not in ("objective_id", "key_result_id")} for row in rows
    ]


def test_an_okr_export_imports_back_to_the_same_okrs(
    world, admin_client, quarter, django_capture_on_commit_callbacks
):
    design = TeamFactory(workspace=world.workspace, key="DES", name="Design")
    company = ObjectiveFactory(
        period=quarter,
        title='Grow revenue, "sustainably"',
        level=ObjectiveLevel.COMPANY,
        team=None,
        owner=world.owner.user,
    )
    KeyResultFactory(
        objective=company,
        title="Reach MRR",
        kind=KeyResultKind.CURRENCY,
        unit="EUR",
        baseline=Decimal("120000"),
        target=Decimal("150000"),
        current=Decimal("126500.5"),
        owner=world.admin.user,
        position=0,
    )
    KeyResultFactory(
        objective=company,
        title="Lower churn",
        kind=KeyResultKind.PERCENTAGE,
        unit="%",
        baseline=Decimal("3.1"),
        target=Decimal("2"),
        current=Decimal("2.8"),
        position=1,
    )
    child = ObjectiveFactory(
        period=quarter, title="Fast checkout", team=world.team, parent=company, owner=None
    )
    KeyResultFactory(
        objective=child,
        title="Ship one-page checkout",
        kind=KeyResultKind.BOOLEAN,
        baseline=0,
        target=1,
        current=1,
        source=KeyResultSource.TASKS,
        owner=world.member.user,
    )
    ObjectiveFactory(
        period=quarter,
        title="Calmer design reviews",
        team=design,
        parent=company,
        owner=world.viewer.user,
    )
    before = _export(admin_client, world)
    assert len(before) == 4
    assert before[-1]["parent_objective"] == 'Grow revenue, "sustainably"'

    exported = admin_client.get(url(world, "export_okrs"))
    text = b"".join(exported.streaming_content).decode()
    KeyResult.objects.all().delete()
    Objective.objects.all().delete()
    job = upload_and_map(admin_client, world, text)
    assert "objective_id" not in job.mapping.values()
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors

    after = _export(admin_client, world)
    assert _without_ids(after) == _without_ids(before)
