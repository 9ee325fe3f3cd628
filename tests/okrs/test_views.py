"""OKR pages: every page renders for a viewer, writes are refused below their role with nothing
changed, the tree and its filters, empty states, the objective page, and query counts that do
not grow with the tree's size.

Forms are in test_views_objective_forms.py, key results and check-ins in
test_views_key_results.py, comments and periods in test_views_periods.py."""

from __future__ import annotations

from decimal import Decimal

from alignment.models import Team
from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from tests.conftest import World
from tests.factories.okrs import (
    CheckInFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PeriodFactory,
)
from tests.okrs.pages import htmx, okrs_url
from tests.querycount import assert_flat_queries

# --- every page renders for a viewer ----------------------------------------------------------


def read_pages(objective: Objective, period: Period) -> list[str]:
    return [
        okrs_url("tree"),
        okrs_url("tree") + f"?period={period.pk}&team={objective.team_id}&health=at_risk",
        okrs_url("objective_detail", objective_id=objective.pk),
        okrs_url("periods"),
    ]


def test_every_read_page_renders_for_a_viewer(viewer_client, objective, key_result, period):
    CheckInFactory(key_result=key_result, value=Decimal("45"))
    statuses = [viewer_client.get(url).status_code for url in read_pages(objective, period)]

    assert statuses == [200, 200, 200, 200]


def test_write_pages_are_403_for_a_viewer(viewer_client, objective, key_result, period):
    urls = [
        okrs_url("objective_new"),
        okrs_url("objective_edit", objective_id=objective.pk),
        okrs_url("key_result_new", objective_id=objective.pk),
        okrs_url("key_result_edit", key_result_id=key_result.pk),
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        okrs_url("period_new"),
        okrs_url("period_close", period_id=period.pk),
    ]

    assert [viewer_client.get(url).status_code for url in urls] == [403] * len(urls)


def test_the_tree_shows_objectives_with_bar_badge_and_first_reason(
    viewer_client, objective, key_result
):
    body = viewer_client.get(okrs_url("tree")).content.decode()

    assert "Make onboarding effortless for new teams" in body
    assert "0% done, 50% expected by today" in body
    assert 'class="badge status-off_track"' in body
    assert "Progress is 0% but 50% of the period has passed (50 points behind pace)." in body


def test_the_tree_nests_a_team_objective_under_its_company_objective(viewer_client, aligned):
    body = viewer_client.get(okrs_url("tree")).content.decode()

    company = body.index(f'id="objective-{aligned.parent_id}"')
    team = body.index(f'id="objective-{aligned.pk}"')
    assert company < team
    assert "1 aligned objective" in body


def test_deeper_branches_load_as_htmx_partials(viewer_client, world, aligned, period):
    person = ObjectiveFactory(
        period=period,
        level=ObjectiveLevel.INDIVIDUAL,
        team=None,
        parent=aligned,
        title="Answer every trial question within a day",
    )
    tree = viewer_client.get(okrs_url("tree")).content.decode()
    children_url = okrs_url("objective_children", objective_id=aligned.pk)

    partial = viewer_client.get(children_url + f"?period={period.pk}", **htmx())

    assert f'hx-get="{children_url}?period={period.pk}"' in tree
    assert person.title not in tree
    assert partial.status_code == 200
    assert person.title in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_a_deep_link_opens_a_branch_without_javascript(viewer_client, aligned, period):
    person = ObjectiveFactory(
        period=period, level=ObjectiveLevel.INDIVIDUAL, team=None, parent=aligned
    )

    body = viewer_client.get(okrs_url("tree") + f"?open={aligned.pk}").content.decode()

    assert person.title in body


def test_filters_swap_only_the_tree_for_htmx(viewer_client, objective, world):
    response = viewer_client.get(okrs_url("tree") + f"?owner={world.member.user.pk}", **htmx())

    body = response.content.decode()
    assert objective.title in body
    assert "<html" not in body
    assert response.headers["Vary"] == "HX-Request, Cookie"


def test_a_filter_without_a_match_says_so(viewer_client, objective, world):
    body = viewer_client.get(okrs_url("tree") + f"?owner={world.admin.user.pk}").content.decode()

    assert objective.title not in body
    assert "No objective matches these filters" in body


def test_a_period_of_another_workspace_is_404(viewer_client, world_b):
    other = PeriodFactory(workspace=world_b.workspace)

    assert viewer_client.get(okrs_url("tree") + f"?period={other.pk}").status_code == 404


# --- empty states ----------------------------------------------------------------------------


def test_without_periods_an_admin_is_asked_to_create_the_first_quarter(admin_client, world):
    body = admin_client.get(okrs_url("tree")).content.decode()

    assert "Create your first quarter" in body
    assert okrs_url("period_new") in body


def test_an_empty_period_asks_an_admin_for_the_company_objective(admin_client, period):
    body = admin_client.get(okrs_url("tree")).content.decode()

    assert "Write the company's first objective" in body


def test_an_empty_period_asks_a_member_for_the_team_objective(member_client, period):
    body = member_client.get(okrs_url("tree")).content.decode()

    assert "Write your team's first objective" in body


def test_an_objective_without_key_results_asks_for_the_first(member_client, objective):
    body = member_client.get(okrs_url("objective_detail", objective_id=objective.pk)).content

    assert b"Add the first key result" in body


# --- objective detail ------------------------------------------------------------------------


def test_the_explanation_table_adds_up_to_the_objective_progress(viewer_client, objective, world):
    KeyResultFactory(objective=objective, baseline=0, target=100, current=50, weight=3)
    KeyResultFactory(objective=objective, baseline=0, target=10, current=10, weight=1)

    body = viewer_client.get(okrs_url("objective_detail", objective_id=objective.pk)).content

    text = body.decode()
    # 3/4 × 50% = 37.5 points, 1/4 × 100% = 25 points: 62.5% in all.
    assert "37.5 pts" in text
    assert "25.0 pts" in text
    assert "<strong>62.5 pts</strong>" in text
    assert 'id="objective-progress">62%<' in text or 'id="objective-progress">63%<' in text
    assert "weighted mean of its key results" in text


def test_the_detail_shows_breadcrumbs_up_to_the_company_objective(viewer_client, aligned):
    body = viewer_client.get(okrs_url("objective_detail", objective_id=aligned.pk)).content

    assert b'aria-label="Breadcrumb"' in body
    assert aligned.parent.title.encode() in body


def test_the_history_chart_has_a_title_per_point_and_a_table(viewer_client, key_result, world):
    CheckInFactory(
        key_result=key_result, value=Decimal("45"), confidence=6, author=world.member.user
    )
    url = okrs_url("objective_detail", objective_id=key_result.objective_id)

    text = viewer_client.get(url).content.decode()

    assert "45%, confidence 6/10" in text
    assert "Show the values as a table" in text
    assert 'role="img"' in text


def test_status_reasons_are_sentences(viewer_client, objective, key_result):
    text = viewer_client.get(okrs_url("objective_detail", objective_id=objective.pk)).content

    assert "No check-in yet" in text.decode() or "behind pace" in text.decode()


# --- query counts ------------------------------------------------------------------------------


def grow_tree(world: World, period: Period, count: int) -> None:
    """`count` objectives in a company → team → individual tree, two KRs each (bulk)."""
    sales, _ = Team.objects.get_or_create(workspace=world.workspace, name="Sales", key="SAL")
    teams = [world.team, sales]
    company = Objective.objects.bulk_create(
        Objective(
            workspace=world.workspace,
            period=period,
            level=ObjectiveLevel.COMPANY,
            title=f"Company goal {i}",
            owner=world.admin.user,
        )
        for i in range(max(1, count // 10))
    )
    team_level = Objective.objects.bulk_create(
        Objective(
            workspace=world.workspace,
            period=period,
            level=ObjectiveLevel.TEAM,
            team=teams[i % 2],
            parent=company[i % len(company)],
            title=f"Team goal {i}",
            owner=world.member.user,
        )
        for i in range(count // 2)
    )
    rest = count - len(company) - len(team_level)
    individual = Objective.objects.bulk_create(
        Objective(
            workspace=world.workspace,
            period=period,
            level=ObjectiveLevel.INDIVIDUAL,
            parent=team_level[i % len(team_level)],
            title=f"My goal {i}",
            owner=world.member.user,
        )
        for i in range(rest)
    )
    objectives = [*company, *team_level, *individual]
    KeyResult.objects.bulk_create(
        KeyResult(
            workspace=world.workspace,
            objective=o,
            title=f"Metric {n} of {o.pk}",
            baseline=Decimal(0),
            target=Decimal(100),
            current=Decimal(n * 30),
            owner=world.member.user,
            position=n,
        )
        for o in objectives
        for n in range(2)
    )
    assert Objective.objects.filter(period=period).count() >= count


def test_the_tree_query_count_is_the_same_at_50_and_500_objectives(viewer_client, world, period):
    grow_tree(world, period, 50)

    url = okrs_url("tree") + f"?open={Objective.objects.filter(level='team').first().pk}"

    def grow() -> None:
        grow_tree(world, period, 450)
        viewer_client.get(url)  # bulk-created without events: this load computes their rows

    assert_flat_queries(
        viewer_client,
        url,
        grow=grow,
        budget=12,  # session, user, membership, navigation, periods ×2, teams, owners,
        # objectives, key results, the read model's queue check and its rows
    )


def test_the_objective_page_query_count_does_not_grow_with_key_results_and_check_ins(
    viewer_client, world, objective, key_result
):
    CheckInFactory(key_result=key_result, author=world.member.user)

    url = okrs_url("objective_detail", objective_id=objective.pk)

    def grow() -> None:
        for _ in range(5):
            kr = KeyResultFactory(objective=objective, owner=world.admin.user)
            CheckInFactory.create_batch(3, key_result=kr, author=world.member.user)
        viewer_client.get(url)  # factories send no events: this load computes the new rows

    assert_flat_queries(viewer_client, url, grow=grow)
