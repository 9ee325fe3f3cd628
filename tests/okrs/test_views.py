"""OKR pages: every page renders for a viewer, writes are refused below their role with nothing
changed, bad input answers 422 with field messages, stale versions are refused, the SMART
panel reviews input, and the tree's query count does not grow with its size."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import Team
from okrs import services
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveComment, ObjectiveLevel, Period
from tests.conftest import World
from tests.factories.okrs import (
    CheckInFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PeriodFactory,
)
from tests.querycount import assert_flat_queries

SLUG = "acme-inc"


def okrs_url(name: str, **kwargs: object) -> str:
    return reverse(f"okrs:{name}", kwargs={"slug": SLUG, **kwargs})


def htmx(**extra: str) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true", **extra}


@pytest.fixture
def company_objective(world: World, period: Period) -> Objective:
    return ObjectiveFactory(
        period=period,
        level=ObjectiveLevel.COMPANY,
        team=None,
        owner=world.admin.user,
        title="Become the easiest planning tool to start with",
    )


@pytest.fixture
def aligned(objective: Objective, company_objective: Objective) -> Objective:
    objective.parent = company_objective
    objective.save(update_fields=["parent"])
    return objective


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


# --- objective create and edit ----------------------------------------------------------------


def test_a_member_creates_an_objective_and_lands_on_it(member_client, world, period):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "owner": world.member.user.pk,
            "status": "active",
            "weight": "1",
        },
    )

    objective = Objective.objects.get(title="Cut onboarding time in half")
    assert response.status_code == 303
    assert response["Location"] == okrs_url("objective_detail", objective_id=objective.pk)


def test_a_team_objective_without_a_team_is_422_with_the_field_message(member_client, period):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 422
    assert "A team objective needs a team." in response.content.decode()
    assert Objective.objects.count() == 0


def test_an_empty_title_is_422(member_client, period, world):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_a_member_cannot_pick_the_company_level(member_client, period):
    body = member_client.get(okrs_url("objective_new")).content.decode()

    assert '<option value="company"' not in body


def test_a_viewer_cannot_create_an_objective(viewer_client, world, period):
    response = viewer_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 403
    assert Objective.objects.count() == 0


def edit_data(objective: Objective, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": objective.title,
        "description": objective.description,
        "period": objective.period_id,
        "level": objective.level,
        "team": objective.team_id or "",
        "owner": objective.owner_id or "",
        "parent": objective.parent_id or "",
        "status": objective.status,
        "weight": str(objective.weight),
        "version": objective.version,
    }
    data.update(changes)
    return data


def test_editing_with_the_current_version_saves(member_client, objective):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=objective.pk),
        edit_data(objective, title="Make onboarding effortless for every new team"),
    )

    objective.refresh_from_db()
    assert response.status_code == 303
    assert objective.title == "Make onboarding effortless for every new team"
    assert objective.version == 2


def test_a_stale_version_is_409_with_a_reload_message_and_nothing_overwritten(
    member_client, world, objective
):
    form = edit_data(objective, title="My edit from an old page")
    services.objective_update(actor=world.admin, objective=objective, title="Their newer edit")

    response = member_client.post(okrs_url("objective_edit", objective_id=objective.pk), form)

    objective.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body
    assert "Reload the latest version" in body
    assert objective.title == "Their newer edit"


def test_aligning_under_a_descendant_is_422_on_the_parent_field(admin_client, aligned):
    company = aligned.parent

    response = admin_client.post(
        okrs_url("objective_edit", objective_id=company.pk),
        edit_data(company, parent=aligned.pk),
    )

    company.refresh_from_db()
    assert response.status_code == 422
    assert "already aligns under it" in response.content.decode()
    assert (company.parent_id, company.version) == (None, 1)


def test_a_member_renames_a_company_objective_without_re_levelling_it(
    member_client, company_objective
):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=company_objective.pk),
        edit_data(company_objective, title="Be the easiest planning tool to start with"),
    )

    company_objective.refresh_from_db()
    assert response.status_code == 303
    assert company_objective.title == "Be the easiest planning tool to start with"
    assert company_objective.level == ObjectiveLevel.COMPANY


def test_a_viewer_cannot_edit_an_objective(viewer_client, objective):
    response = viewer_client.post(
        okrs_url("objective_edit", objective_id=objective.pk), edit_data(objective, title="No")
    )

    objective.refresh_from_db()
    assert response.status_code == 403
    assert objective.title == "Make onboarding effortless for new teams"
    assert objective.version == 1


def test_the_edit_form_carries_the_hidden_version(member_client, objective):
    body = member_client.get(okrs_url("objective_edit", objective_id=objective.pk)).content

    assert b'<input type="hidden" name="version" value="1"' in body


# --- the SMART panel ----------------------------------------------------------------------


def test_form_inputs_ask_for_a_review_while_typing(member_client, period):
    body = member_client.get(okrs_url("objective_new")).content.decode()

    assert f'hx-post="{okrs_url("review_objective")}"' in body
    assert 'hx-trigger="input changed delay:500ms"' in body
    assert 'hx-target="#smart-panel"' in body


def test_the_smart_panel_flags_a_vague_objective_letter_by_letter(member_client, period):
    response = member_client.post(
        okrs_url("review_objective"),
        {"title": "Improve quality", "level": "team", "period": period.pk},
        **htmx(),
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<aside class="card smart-panel" id="smart-panel"')
    assert "“improve” without a measure leaves “done” open to opinion." in body
    assert "Nobody owns this objective." in body
    assert "This team objective is not aligned to any company objective." in body
    assert 'data-letter="T"' in body


def test_the_smart_panel_of_a_key_result_asks_for_a_number(member_client):
    response = member_client.post(
        okrs_url("review_key_result"),
        {"title": "Launch the new onboarding flow", "kind": "boolean"},
        **htmx(),
    )

    assert "reads like a task (output), not a result (outcome)" in response.content.decode()


def test_a_viewer_gets_no_smart_review(viewer_client):
    response = viewer_client.post(okrs_url("review_objective"), {"title": "Improve quality"})

    assert response.status_code == 403


# --- key results -------------------------------------------------------------------------------


def test_a_member_adds_a_key_result(member_client, objective, world):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Activation from 40% to 60%",
            "kind": "percentage",
            "unit": "%",
            "baseline": "40",
            "target": "60",
            "source": "manual",
            "weight": "1",
            "confidence": "6",
            "owner": world.member.user.pk,
        },
    )

    kr = KeyResult.objects.get(objective=objective)
    assert response.status_code == 303
    assert (kr.baseline, kr.target, kr.current, kr.confidence) == (40, 60, 40, 6)


def test_a_target_equal_to_the_baseline_is_422_with_the_field_message(member_client, objective):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Activation stays at 40%",
            "kind": "percentage",
            "baseline": "40",
            "target": "40",
            "source": "manual",
            "weight": "1",
            "confidence": "5",
        },
    )

    assert response.status_code == 422
    assert "The target must differ from the baseline." in response.content.decode()
    assert KeyResult.objects.count() == 0


def test_a_stale_key_result_edit_is_409_and_keeps_the_newer_value(member_client, world, key_result):
    url = okrs_url("key_result_edit", key_result_id=key_result.pk)
    data = {
        "title": "My stale title",
        "kind": "percentage",
        "unit": "%",
        "baseline": "40",
        "target": "60",
        "source": "manual",
        "weight": "1",
        "version": key_result.version,
    }
    services.key_result_update(actor=world.admin, key_result=key_result, title="Theirs")

    response = member_client.post(url, data)

    key_result.refresh_from_db()
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert key_result.title == "Theirs"


# --- check-ins ---------------------------------------------------------------------------------


def test_a_check_in_swaps_the_row_and_triggers_progress_changed(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7", "note": "Tour shipped"},
        **htmx(),
    )

    body = response.content.decode()
    key_result.refresh_from_db()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="kr-{key_result.pk}">')
    assert "50%</span>" in body
    assert "progress-changed" in response["HX-Trigger"]
    assert key_result.current == 50
    assert CheckIn.objects.get().note == "Tour shipped"


def test_a_check_in_without_javascript_redirects_to_the_objective(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7"},
    )

    assert response.status_code == 303
    assert response["Location"] == okrs_url(
        "objective_detail", objective_id=key_result.objective_id
    )


def test_a_check_in_with_a_confidence_of_11_is_422_in_the_dialog(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "11"},
        **htmx(),
    )

    key_result.refresh_from_db()
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#check-in-form-{key_result.pk}"
    assert "less than or equal to 10" in response.content.decode()
    assert (key_result.current, CheckIn.objects.count()) == (40, 0)


def test_a_viewer_cannot_check_in(viewer_client, key_result):
    response = viewer_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7"},
    )

    key_result.refresh_from_db()
    assert response.status_code == 403
    assert (key_result.current, CheckIn.objects.count()) == (40, 0)


def test_a_boolean_key_result_checks_in_as_done(member_client, objective):
    kr = KeyResultFactory(objective=objective, kind="boolean", baseline=0, target=1, current=0)

    member_client.post(
        okrs_url("key_result_check_in", key_result_id=kr.pk), {"done": "on", "confidence": "8"}
    )

    kr.refresh_from_db()
    assert kr.current == 1


def test_the_objective_header_refreshes_as_a_partial(viewer_client, objective):
    url = okrs_url("objective_detail", objective_id=objective.pk) + "?part=header"

    body = viewer_client.get(url, **htmx()).content.decode()

    assert body.startswith('<section class="card objective-header" id="objective-header"')
    assert 'hx-trigger="progress-changed from:body"' in body


# --- comments ----------------------------------------------------------------------------------


def test_a_member_comments_on_an_objective(member_client, objective):
    response = member_client.post(
        okrs_url("comment_add", objective_id=objective.pk), {"body": "Nice start"}
    )

    assert response.status_code == 303
    assert ObjectiveComment.objects.get().body == "Nice start"


def test_a_viewer_cannot_comment(viewer_client, objective):
    response = viewer_client.post(
        okrs_url("comment_add", objective_id=objective.pk), {"body": "Nice start"}
    )

    assert response.status_code == 403
    assert ObjectiveComment.objects.count() == 0


def test_an_empty_comment_is_422(member_client, objective):
    response = member_client.post(okrs_url("comment_add", objective_id=objective.pk), {"body": ""})

    assert response.status_code == 422
    assert ObjectiveComment.objects.count() == 0


# --- periods -----------------------------------------------------------------------------------


def test_an_admin_creates_a_period(admin_client):
    response = admin_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31"}
    )

    period = Period.objects.get()
    assert response.status_code == 303
    assert (period.name, str(period.start), str(period.end)) == (
        "2027 Q1",
        "2027-01-01",
        "2027-03-31",
    )


def test_a_period_ending_before_it_starts_is_422(admin_client):
    response = admin_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-03-31", "end": "2027-01-01"}
    )

    assert response.status_code == 422
    assert "The period must end after it starts." in response.content.decode()
    assert Period.objects.count() == 0


def test_a_member_cannot_create_a_period(member_client):
    response = member_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31"}
    )

    assert response.status_code == 403
    assert Period.objects.count() == 0


def test_the_close_page_previews_scores_and_offers_the_next_period(
    admin_client, key_result, next_period
):
    CheckInFactory(key_result=key_result)
    services.key_result_check_in(
        actor=key_result.objective.owner.memberships.get(), key_result=key_result, value=50
    )

    body = admin_client.get(okrs_url("period_close", period_id=key_result.objective.period_id))

    text = body.content.decode()
    assert "50%</td>" in text
    assert "Carry unfinished KRs into Next quarter" in text


def test_closing_with_carry_over_scores_and_copies_unfinished_work(
    admin_client, world, key_result, next_period
):
    period = key_result.objective.period

    response = admin_client.post(
        okrs_url("period_close", period_id=period.pk),
        {"carry_over": "on", "next_period": next_period.pk},
    )

    period.refresh_from_db()
    objective = key_result.objective
    objective.refresh_from_db()
    assert response.status_code == 303
    assert period.closed_at is not None
    assert objective.score == 0
    assert Objective.objects.get(period=next_period).carried_from == objective


def test_a_member_cannot_close_a_period(member_client, period):
    response = member_client.post(okrs_url("period_close", period_id=period.pk), {})

    period.refresh_from_db()
    assert response.status_code == 403
    assert period.closed_at is None


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

    assert_flat_queries(
        viewer_client,
        okrs_url("tree") + f"?open={Objective.objects.filter(level='team').first().pk}",
        grow=lambda: grow_tree(world, period, 450),
        budget=12,  # 10 today: session, user, membership, navigation, periods ×2, teams,
        # owners, objectives, key results
    )


def test_the_objective_page_query_count_does_not_grow_with_key_results_and_check_ins(
    viewer_client, world, objective, key_result
):
    CheckInFactory(key_result=key_result, author=world.member.user)

    def grow() -> None:
        for _ in range(5):
            kr = KeyResultFactory(objective=objective, owner=world.admin.user)
            CheckInFactory.create_batch(3, key_result=kr, author=world.member.user)

    assert_flat_queries(
        viewer_client, okrs_url("objective_detail", objective_id=objective.pk), grow=grow
    )


def test_a_milestone_key_result_is_created_with_its_steps(member_client, objective):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Self-serve setup live in 3 regions",
            "kind": "milestone",
            "milestones": "Europe\nUS | 2\nAsia",
            "source": "manual",
            "weight": "1",
            "confidence": "5",
        },
    )

    kr = KeyResult.objects.get(objective=objective)
    assert response.status_code == 303
    assert [(s["title"], s["weight"]) for s in kr.milestones] == [
        ("Europe", 1.0),
        ("US", 2.0),
        ("Asia", 1.0),
    ]


def test_a_milestone_check_in_marks_the_steps_done(member_client, objective):
    kr = KeyResultFactory(
        objective=objective,
        kind="milestone",
        baseline=0,
        target=1,
        current=0,
        milestones=[
            {"title": "Europe", "weight": 1, "done": False},
            {"title": "US", "weight": 3, "done": False},
        ],
    )
    url = okrs_url("key_result_check_in", key_result_id=kr.pk)

    page = member_client.get(url).content.decode()
    response = member_client.post(url, {"steps_done": ["1"], "confidence": "6"})

    kr.refresh_from_db()
    assert 'name="steps_done" value="1"' in page
    assert response.status_code == 303
    assert kr.current == Decimal("0.75")
    assert [s["done"] for s in kr.milestones] == [False, True]


def test_the_check_in_page_is_the_no_javascript_fallback(member_client, key_result):
    response = member_client.get(okrs_url("key_result_check_in", key_result_id=key_result.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Check in: Raise activation from 40% to 60%</h1>" in body
    assert 'name="value"' in body
