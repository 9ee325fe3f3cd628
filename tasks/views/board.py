"""The sprint board: columns per workflow state, drag and drop, keyboard moves, quick-edit."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from tasks import board_selectors, page_selectors, selectors, services, undo
from tasks.cards import CardRenderer
from tasks.forms import MoveForm, QuickEditForm
from tasks.models import OPEN_CATEGORIES, Sprint, SprintStatus, Task, WorkflowState
from tasks.search_query import ParsedQuery, parse_search_query, task_filter, task_order
from tasks.selectors import get_task
from tasks.services.rules import UNSET
from tasks.views import inline
from tasks.views._common import (
    get_team,
    int_param,
    is_partial,
    see_other,
    url,
    work_context,
)
from tasks.views._undo import toast, undo_toast_from_query


def filters_from(request: WorkspaceRequest) -> selectors.TaskFilters:
    """The filter form's values; `q` takes search qualifiers (SearchQueryInvalid: a 400 with
    the message, through the DomainError middleware)."""
    where = None
    parsed = filter_query(request)
    if parsed is not None:
        where = task_filter(parsed, viewer=request.membership)
        if parsed.text:
            where &= Q(title__icontains=parsed.text)
    return selectors.TaskFilters(
        where=where,
        assignee=int_param(request.GET.get("assignee")),
        label=int_param(request.GET.get("label")),
        key_result=int_param(request.GET.get("key_result")),
        objective=int_param(request.GET.get("objective")),
    )


def filter_query(request: WorkspaceRequest) -> ParsedQuery | None:
    raw = request.GET.get("q", "").strip()
    return parse_search_query(raw) if raw else None


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def board_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every team with its active sprint and open work: the way into boards and backlogs."""
    teams = list(
        Team.objects.visible_to(request.membership)
        .annotate(
            open_tasks=Count("tasks", filter=Q(tasks__state_category__in=sorted(OPEN_CATEGORIES)))
        )
        .order_by("name")
    )
    active = {
        s.team_id: s
        for s in Sprint.objects.visible_to(request.membership).filter(status=SprintStatus.ACTIVE)
    }
    rows = [(team, active.get(team.pk)) for team in teams]
    return render(request, "tasks/boards.html", work_context(request, rows=rows))


def card_response(
    request: WorkspaceRequest, workspace: Workspace, task: Task, *, as_row: bool
) -> HttpResponse:
    """One card (or backlog row), freshly read with its badges and flags, for swaps after a
    change and board.js's reload of a card after a refused move."""
    fresh = board_selectors.card_tasks(workspace).select_related("team", "state").get(pk=task.pk)
    facts = page_selectors.card_facts(workspace, [fresh])
    renderer = CardRenderer.for_page(
        workspace,
        [fresh],
        can_write=can_write(request),
        facts=facts,
        okrs_hidden=request.membership.is_guest,
    )
    return HttpResponse(renderer.row(fresh) if as_row else renderer.card(fresh))


def can_write(request: WorkspaceRequest) -> bool:
    return request.membership.has_role(Role.MEMBER)


def board_query(request: WorkspaceRequest) -> str:
    """The board's own query (sprint, filters) for links that add a column or cursor."""
    query = request.GET.copy()
    for name in ("column", "after", "expand", "part"):
        query.pop(name, None)
    return query.urlencode()


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def sprint_board(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """The team's active sprint (or ?sprint=<id>) as columns; filters narrow the cards.

    Each column shows its first cards; `?column=<state>&after=<cursor>` (htmx) answers the
    column's next cards, `?expand=<state>` the page with that column whole (without
    JavaScript), `?part=filters` the filter form with its choices (loaded on first use)."""
    states = board_selectors.board_states(request.membership, team_id)
    team = states[0].team if states else get_team(request, team_id)
    sprint, sprints = page_selectors.board_sprints(workspace, team, request.GET.get("sprint"))
    if sprint is None and request.GET.get("sprint"):
        raise Http404("No such sprint in this team.")
    filters = filters_from(request)
    board_url = url("board", workspace, team_id=team.pk)
    if is_partial(request) and request.GET.get("part") == "filters":
        return filters_response(
            request, workspace, list_url=board_url, list_target="#board", sprint=sprint
        )
    column = int_param(request.GET.get("column"))
    if column is not None and is_partial(request):
        return column_more(request, workspace, team, sprint, states, column, filters, board_url)
    parsed = filter_query(request)
    # A `sort:` is a view of the board: columns in that order, drag reordering within a
    # column off (a rank set by dropping would not show); moves between columns still work.
    order = task_order(parsed, viewer=request.membership) if parsed else []
    board = board_selectors.sprint_board(
        workspace,
        team,
        sprint,
        states=states,
        expand=int_param(request.GET.get("expand")),
        order=order,
        **filters,
    )
    render_cards(request, workspace, board.tasks, board.columns)
    context = work_context(
        request,
        team=team,
        board=board,
        filters=filters,
        choices=choices_if_wanted(request, workspace, filters, sprint),
        sprints=sprints,
        filter_sprint=sprint,
        board_url=board_url,
        list_url=board_url,
        board_query=board_query(request),
        undo_toast=mark_safe(undo_toast_from_query(request, workspace)),  # noqa: S308
    )
    template = "tasks/_board.html" if is_partial(request) else "tasks/board.html"
    return render(request, template, context)


def render_cards(
    request: WorkspaceRequest,
    workspace: Workspace,
    tasks: list[Task],
    columns: list[board_selectors.BoardColumn],
) -> None:
    """Every shown card of the columns, rendered once (facts and badges: a query each)."""
    facts = page_selectors.card_facts(workspace, tasks)
    renderer = CardRenderer.for_page(
        workspace,
        tasks,
        can_write=can_write(request),
        facts=facts,
        okrs_hidden=request.membership.is_guest,
    )
    for column in columns:
        column.cards_html = renderer.cards(column.tasks)


def column_more(
    request: WorkspaceRequest,
    workspace: Workspace,
    team: Team,
    sprint: Sprint | None,
    states: list[WorkflowState],
    state_id: int,
    filters: selectors.TaskFilters,
    board_url: str,
) -> HttpResponse:
    """A column's next cards after `?after=`, and the link to the ones after them."""
    state = next((s for s in states if s.pk == state_id), None)
    if state is None or sprint is None:
        raise Http404("No such column on this board.")
    try:
        after = page_selectors.parse_cursor(request.GET.get("after", ""))
    except page_selectors.BadCursor:
        return HttpResponseBadRequest("That page cursor is not valid; reload the board.")
    page = board_selectors.board_column_page(workspace, team, sprint, state, after=after, **filters)
    column = board_selectors.BoardColumn(
        state=state, tasks=page.tasks, total=len(page.tasks) + page.remaining, more=page.more
    )
    render_cards(request, workspace, page.tasks, [column])
    context = work_context(
        request, column=column, board_url=board_url, board_query=board_query(request)
    )
    return render(request, "tasks/_board_more.html", context)


def choices_if_wanted(
    request: WorkspaceRequest,
    workspace: Workspace,
    filters: selectors.TaskFilters,
    sprint: Sprint | None = None,
) -> page_selectors.FilterChoices | None:
    """Filter choices when a filter is set or asked for (?part=filters without JavaScript);
    otherwise None: the form loads them when first used, and the page saves 4 queries."""
    if any(filters.values()) or request.GET.get("part") == "filters":
        return page_selectors.filter_choices(
            workspace, request.membership, on=sprint.start_date if sprint else None, keep=filters
        )
    return None


def filters_response(
    request: WorkspaceRequest,
    workspace: Workspace,
    *,
    list_url: str,
    list_target: str,
    sprint: Sprint | None = None,
) -> HttpResponse:
    """The filter form with every choice: asked for when a person first reaches for it."""
    context = work_context(
        request,
        filters=filters_from(request),
        # The guest's choices are their teams' (the same as choices_if_wanted gives them).
        choices=page_selectors.filter_choices(
            workspace,
            request.membership,
            on=sprint.start_date if sprint else None,
            keep=filters_from(request),
        ),
        list_url=list_url,
        list_target=list_target,
        filter_sprint=sprint,
    )
    return render(request, "tasks/_filters.html", context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_card(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """One card as the server has it now (board.js reloads a card after a refused move)."""
    task = get_task(request, key)
    return card_response(request, workspace, task, as_row=request.GET.get("as") == "row")


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_move(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """A drop or a keyboard move: new neighbours (for the rank), maybe another column.

    The task's `version` comes along; a stale one is refused with 409 (StaleVersion) and the
    board reloads the card, so two people moving cards at once never lose a move."""
    task = get_task(request, key)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise FieldErrors(
            {name: [str(e) for e in errors] for name, errors in form.errors.items()},
            "The move was not understood: "
            + "; ".join(f"{name}: {errors[0]}" for name, errors in form.errors.items()),
        )
    data = form.cleaned_data
    state: WorkflowState | None = UNSET
    if data.get("state"):
        found = WorkflowState.objects.for_workspace(workspace).filter(pk=data["state"]).first()
        if found is None:
            raise FieldErrors({"state": "That column was not found."}, "That column was not found.")
        state = found
    after = (
        selectors.task_by_key(workspace, data["after"], viewer=request.membership)
        if data["after"]
        else None
    )
    before = (
        selectors.task_by_key(workspace, data["before"], viewer=request.membership)
        if data["before"]
        else None
    )
    was = undo.snapshot([task], ("state", "rank"))
    services.task_move(
        actor=request.membership,
        task=task,
        expected_version=data["version"],
        after=after,
        before=before,
        state=state,
    )
    message = f"{task.key} moved" + (f" to {task.state.name}." if state is not UNSET else ".")
    raw = undo.token(request.membership, [task], was, message)
    if not request.htmx:
        return see_other(url("board", workspace, team_id=task.team_id) + f"?undo={raw}")
    response = card_response(request, workspace, task, as_row=request.POST.get("as") == "row")
    return undo.attach_toast(response, toast(request, workspace, message, raw))


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_quick_edit(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """GET: the side panel of a card (every field inline). POST: assignee and points (the
    small form without JavaScript), answering the new card."""
    task = get_task(request, key)
    if request.method == "GET":
        # The card's "Quick edit" opens the board's side panel: every field, edited in place.
        if not is_partial(request):
            return HttpResponseRedirect(url("task", workspace, key=task.key))
        response = inline.panel_response(request, workspace, task)
        return reswap(retarget(response, "#task-panel"), "innerHTML")
    form = QuickEditForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            services.task_update(
                actor=request.membership,
                task=task,
                expected_version=form.cleaned_data["version"],
                assignee=form.cleaned_data["assignee"],
                estimate=form.cleaned_data["estimate"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            if not request.htmx:
                return see_other(url("task", workspace, key=task.key))
            response = card_response(request, workspace, task, as_row=False)
            return reswap(retarget(response, f"#task-{task.key}"), "outerHTML")
    return render(
        request,
        "tasks/_quick_edit.html",
        work_context(request, task=task, form=form),
        status=422,
    )
