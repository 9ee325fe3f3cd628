"""Labels and page links of the records a dashboard names (dashboards/reasons.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards.reasons import _SENTINEL, Link, Names, _Urls
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db


def test_every_kind_links_to_the_page_django_reverses_for_it(plan: Plan):
    task = plan.task(item=plan.item_a, sprint=plan.sprint, estimate="1", category=C.STARTED)
    ws = plan.world.workspace
    names = Names.load(
        ws,
        [
            ("objective", plan.company.pk),
            ("key_result", plan.from_work.pk),
            ("roadmap_item", plan.item_a.pk),
            ("sprint", plan.sprint.pk),
            ("team", plan.world.team.pk),
            ("task", task.pk),
        ],
    )
    objective_page = reverse(
        "okrs:objective_detail", kwargs={"slug": ws.slug, "objective_id": plan.company.pk}
    )
    team_page = reverse("dashboards:team", kwargs={"slug": ws.slug, "team_id": plan.world.team.pk})
    assert names.get("objective", plan.company.pk).url == objective_page
    assert names.get("key_result", plan.from_work.pk).url == (
        reverse("okrs:objective_detail", kwargs={"slug": ws.slug, "objective_id": plan.company.pk})
        + f"#kr-{plan.from_work.pk}"
    )
    assert names.get("roadmap_item", plan.item_a.pk).url == (
        reverse("roadmaps:timeline", kwargs={"slug": ws.slug, "roadmap_id": plan.item_a.roadmap_id})
        + f"#item-{plan.item_a.pk}"
    )
    assert names.get("sprint", plan.sprint.pk).url == team_page
    assert names.get("team", plan.world.team.pk).url == team_page
    assert names.get("task", task.pk).url == reverse(
        "tasks:task", kwargs={"slug": ws.slug, "key": task.key}
    )
    assert names.get("task", task.pk).label == f"{task.key} {task.title}"
    assert names.titles()[("objective", plan.company.pk)] == plan.company.title


def test_a_slug_holding_the_stand_in_id_is_reversed_per_record():
    urls = _Urls(f"x{_SENTINEL}")
    assert urls("dashboards:team", "team_id", 7) == reverse(
        "dashboards:team", kwargs={"slug": f"x{_SENTINEL}", "team_id": 7}
    )
    assert urls("no-such:page", "team_id", 7) is None


def test_a_link_renders_escaped_and_only_links_a_record_with_a_page():
    linked = Link("task", 12, "ENG-12 <b>bold</b> & more", "/w/acme/tasks/ENG-12/")
    assert linked.html == (
        '<a href="/w/acme/tasks/ENG-12/" data-kind="task" data-id="12">'
        "ENG-12 &lt;b&gt;bold&lt;/b&gt; &amp; more</a>"
    )
    assert Link("team", 1234, "Platform", None).html == (
        '<span data-kind="team" data-id="1234">Platform</span>'
    )
