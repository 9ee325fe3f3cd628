"""Words and links for rollup reasons and findings: every sentence names the records behind it.

`Names.load(workspace, keys)` fetches the label and page URL of every [kind, id] a page shows
in one query per kind, so a list of findings costs the same queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import BigIntegerField, Case, CharField, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from alignment.lookups import Ids
from alignment.models import Membership, Team, Workspace
from alignment.prepared import Prepared
from alignment.querysets import visibility_of
from dashboards import finding_sources
from dashboards.models import Finding
from okrs import progress as okr_math
from okrs import reason_words
from okrs.models import KeyResult, Objective
from roadmaps.models import RoadmapItem
from tasks.models import Sprint, Task

Key = tuple[str, int]


@dataclass(frozen=True)
class Link:
    kind: str
    id: int
    label: str
    url: str | None

    @property
    def html(self) -> SafeString:
        """`{{ link.html }}` in a page: the record's name, linked to its page when it has one.

        Rendered here rather than by an included template: a leader dashboard shows about
        750 links, and an include per link was a fifth of its render time.
        """
        if self.url:
            return format_html(
                '<a href="{}" data-kind="{}" data-id="{}">{}</a>',
                self.url,
                self.kind,
                str(self.id),
                self.label,
            )
        return format_html(
            '<span data-kind="{}" data-id="{}">{}</span>', self.kind, str(self.id), self.label
        )


def _url(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # the page's app is not mounted in this deployment
        return None


# Stands in for one record's id or key while a URL is reversed once per page and kind; valid
# for both int and str path converters, and never part of a real workspace slug.
_SENTINEL = "987654321987654321"


class _Urls:
    """One workspace's record URLs: `reverse` once per URL name, then a substitution per
    record (a leader dashboard names about 1,000 records; reversing each was ≈30 ms)."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.patterns: dict[tuple[str, str], str | None] = {}

    def __call__(self, name: str, param: str, value: int | str) -> str | None:
        key = (name, param)
        if key not in self.patterns:
            pattern = _url(name, slug=self.slug, **{param: _SENTINEL})
            # Reversed per record if the sentinel does not stand alone in the URL.
            self.patterns[key] = pattern if pattern and pattern.count(_SENTINEL) == 1 else None
        pattern = self.patterns[key]
        if pattern is None:
            return _url(name, slug=self.slug, **{param: value})
        return pattern.replace(_SENTINEL, str(value))


# What a viewer outside a private team reads instead of its records' titles and its name.
PRIVATE_WORK = "work in a private team"
PRIVATE_TEAM = "a private team"


# The kinds `Names.load` reads, in the order of its UNION ALL's parts. Objectives and key
# results are company-wide: shown to every viewer.
_NAME_PARTS = ("objective", "key_result", "roadmap_item", "sprint", "team", "task")
_COMPANY_WIDE = {"objective", "key_result"}
_NAME_QUERIES: dict[tuple[tuple[str, ...], str | None], Prepared] = {}


def _names_query(kinds: tuple[str, ...], role: str | None) -> Prepared:
    """The UNION ALL of `kinds`' parts, for a viewer of `role` (None: one who sees every
    team), compiled once per process (`alignment.prepared`): built through the ORM on every
    call it cost a team page ≈ 2.5 ms of CPU, where PostgreSQL answers in a fraction of that.

    Each part reads (kind, id, title, reference id, team key, number, shown); the reference is
    the objective, roadmap or team a record's link points into; `shown`: whether the viewer
    may see the row (visible_to), in the same query.
    """
    query = _NAME_QUERIES.get((kinds, role))
    if query is not None:
        return query
    no_int = Value(0, output_field=BigIntegerField())
    no_text = Value("", output_field=CharField())

    def build(**values: Any) -> QuerySet[Any]:
        workspace = values["workspace"]
        viewer = (
            None
            if role is None
            else Membership(workspace_id=workspace, user_id=values.get("user", 0), role=role)
        )

        def rows_of(model: type[Any], kind: str) -> QuerySet[Any]:
            rows = model.objects.filter(workspace=workspace, pk__in_ids=values[f"{kind}_ids"])
            if viewer is None or kind in _COMPANY_WIDE:
                return rows.annotate(shown=Value(True))
            # The rule on the row itself: `pk IN (the visible rows)` made PostgreSQL hash every
            # visible task of the workspace for each call (11 ms at 20,000 tasks).
            visible = model._default_manager.all().visible_condition(viewer)
            return rows.annotate(shown=Case(When(visible, then=Value(True)), default=Value(False)))

        parts: dict[str, Callable[[], QuerySet[Any]]] = {
            "objective": lambda: rows_of(Objective, "objective").values_list(
                Value("objective"), "id", "title", no_int, no_text, no_int, "shown"
            ),
            "key_result": lambda: rows_of(KeyResult, "key_result").values_list(
                Value("key_result"), "id", "title", "objective_id", no_text, no_int, "shown"
            ),
            "roadmap_item": lambda: rows_of(RoadmapItem, "roadmap_item").values_list(
                Value("roadmap_item"), "id", "title", "roadmap_id", no_text, no_int, "shown"
            ),
            "sprint": lambda: rows_of(Sprint, "sprint").values_list(
                Value("sprint"), "id", "name", "team_id", no_text, no_int, "shown"
            ),
            "team": lambda: rows_of(Team, "team").values_list(
                Value("team"), "id", "name", no_int, no_text, no_int, "shown"
            ),
            "task": lambda: rows_of(Task, "task").values_list(
                Value("task"), "id", "title", no_int, "team__key", "number", "shown"
            ),
        }
        built = [parts[kind]().order_by() for kind in kinds]
        return built[0].union(*built[1:], all=True) if len(built) > 1 else built[0]

    names = ["workspace", *(f"{kind}_ids" for kind in kinds)]
    if role is not None and not set(kinds) <= _COMPANY_WIDE:
        names.append("user")
    query = _NAME_QUERIES[(kinds, role)] = Prepared(build, names=names)
    return query


@dataclass
class Names:
    links: dict[Key, Link] = field(default_factory=dict)
    _titles: dict[Key, str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(
        cls, workspace: Workspace, keys: Iterable[Key], *, viewer: Membership | None = None
    ) -> Names:
        """Labels and links of the records behind reasons, in one query. With a
        `viewer`, a record of a private team they are not on is labelled PRIVATE_WORK, with no
        link: company numbers still count it, but its title and team stay private."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for kind, node_id in keys:
            wanted[kind].add(int(node_id))
        urls = _Urls(workspace.slug)
        links: dict[Key, Link] = {}

        def add(kind: str, node_id: int, label: str, url: str | None, shown: bool = True) -> None:
            if not shown:
                label, url = (PRIVATE_TEAM if kind == "team" else PRIVATE_WORK), None
            links[(kind, node_id)] = Link(kind, node_id, label, url)

        # Asking for no ids, the objectives' part alone: always one query.
        kinds = tuple(kind for kind in _NAME_PARTS if kind in wanted) or ("objective",)
        role = None if viewer is None or viewer.sees_every_team else visibility_of(viewer)
        values: dict[str, Any] = {"workspace": workspace.pk}
        values.update({f"{kind}_ids": Ids(wanted.get(kind) or ()) for kind in kinds})
        if role is not None and not set(kinds) <= _COMPANY_WIDE:
            values["user"] = viewer.user_id  # type: ignore[union-attr]
        rows = _names_query(kinds, role).rows(**values)
        for kind, pk, title, ref, team_key, number, shown in rows:
            if kind == "objective":
                add(kind, pk, title, urls("okrs:objective_detail", "objective_id", pk))
            elif kind == "key_result":
                page = urls("okrs:objective_detail", "objective_id", ref)
                add(kind, pk, title, f"{page}#kr-{pk}" if page else None)
            elif kind == "roadmap_item":
                page = urls("roadmaps:timeline", "roadmap_id", ref)
                add(kind, pk, title, f"{page}#item-{pk}" if page else None, bool(shown))
            elif kind == "sprint":
                add(kind, pk, title, urls("dashboards:team", "team_id", ref), bool(shown))
            elif kind == "team":
                add(kind, pk, title, urls("dashboards:team", "team_id", pk), bool(shown))
            else:
                key = f"{team_key}-{number}"
                add(kind, pk, f"{key} {title}", urls("tasks:task", "key", key), bool(shown))
        return cls(links)

    def get(self, kind: str, node_id: int) -> Link | None:
        return self.links.get((kind, int(node_id)))

    def label(self, kind: str, node_id: int) -> str:
        link = self.get(kind, node_id)
        return f"“{link.label}”" if link else f"{kind.replace('_', ' ')} {node_id}"

    def titles(self) -> dict[Key, str]:
        """Every label by key; built once (a page asks for it per sentence, and its links do
        not change after `load`)."""
        if self._titles is None or len(self._titles) != len(self.links):
            self._titles = {key: link.label for key, link in self.links.items()}
        return self._titles


def _pct(value: float) -> str:
    return f"{round(float(value) * 100)}%"


def _n(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:g}"


def _plural(count: Any, noun: str) -> str:
    count = int(float(count))
    return f"{count} {noun}{'' if count == 1 else 's'}"


def reason_sentence(reason: Mapping[str, Any], names: Names | None = None) -> str:
    """A rollup reason (stored JSON) in plain English."""
    code = str(reason.get("code", ""))
    n = reason.get("numbers") or {}
    if code == "past_target_date":
        return (
            f"{_plural(n.get('days_late', 0), 'day')} past the target date with "
            f"{_plural(n.get('open_count', 0), 'open task')}."
        )
    if code == "no_tasks":
        return "No tasks to count yet."
    if code == "not_scheduled":
        return "No start and target dates to measure the pace against."
    if code == "sprint_closed":
        return f"Closed with {_pct(n.get('progress', 0))} of its points done."
    if code == "sprint_not_started":
        return "The sprint has not started yet."
    if code == "no_active_sprint":
        return "The team has no active sprint."
    objects = [(str(k), int(i)) for k, i in reason.get("objects") or []]
    parsed = okr_math.Reason(code, dict(n), objects)
    return reason_words.reason_sentence(parsed, names.titles() if names else None)


class _Numbers(dict[str, Any]):
    """Stored numbers; one missing (an older or hand-made row) reads as 0, never a crash."""

    def __missing__(self, key: str) -> float:
        return 0.0


def finding_sentence(finding: Finding, names: Names) -> str:
    """Why a finding was raised, naming its subject; the evidence is linked beside it."""
    n = _Numbers(finding.numbers if isinstance(finding.numbers, dict) else {})
    subject = names.label(finding.subject_kind, finding.subject_id)
    code = finding.code
    if code == "low_alignment":
        return (
            f"Only {_pct(n['ratio'])} of {subject}'s points ({_n(n['aligned_points'])} of "
            f"{_n(n['total_points'])}) trace to an active key result; the minimum is "
            f"{_pct(n['minimum'])}. Not aligned: {_plural(n['unaligned_count'], 'task')}."
        )
    if code == "kr_behind_pace":
        return (
            f"{subject} is at {_pct(n.get('progress', 0))} but {_pct(n.get('expected', 0))} of "
            f"the period has passed ({round(-float(n.get('gap', 0)) * 100)} points behind pace)."
        )
    if code == "kr_no_check_in":
        if n.get("never"):
            return (
                f"{subject} has had no check-in at all, {_n(n['days'])} days in (expected every "
                f"{_n(n['limit'])})."
            )
        return (
            f"{subject} has had no check-in for {_n(n['days'])} days (expected every "
            f"{_n(n['limit'])})."
        )
    if code == "objective_without_work":
        return (
            f"{subject} has no roadmap work linked to its key results and no objective aligned "
            "under it."
        )
    if code == "item_overdue":
        return (
            f"{subject} is {_plural(n.get('days_late', 0), 'day')} past its target date with "
            f"{_plural(n.get('open_count', 0), 'open task')}."
        )
    if code == "blocked_chain":
        teams = [_plain(names, "team", i) for k, i in finding.evidence if k == "team"]
        return (
            f"{subject} holds up a chain of {_plural(n['tasks'], 'open task')} across "
            f"{_plural(n['teams'], 'team')} ({', '.join(teams)}): "
            f"{_plural(n['blocked'], 'task')} with {_n(n['points'])} points wait, "
            f"{_plural(n['depth'], 'step')} deep. Unblock it first."
        )
    if code == "scope_added":
        added = f", {_plural(n['added_count'], 'task')} added" if n["added_count"] else ""
        return (
            f"{subject} grew by {_n(n['added_points'])} points ({_pct(n['share'])} of the "
            f"{_n(n['committed_points'])} committed) after it started{added}; the limit is "
            f"{_pct(n['limit'])}."
        )
    if code == "duplicate_work":
        return _duplicate_sentence(finding, n, names, subject)
    if code == "likely_to_miss":
        return _forecast_sentence(n, subject)
    source = finding_sources.source_for(code)  # registered by apps above dashboards
    if source is not None:
        return source.sentence(finding, names)
    return code.replace("_", " ").capitalize() + "."


def _day(ordinal: float) -> str:
    return f"{date.fromordinal(int(ordinal)):%d %b %Y}" if ordinal else ""


def _forecast_sentence(n: _Numbers, subject: str) -> str:
    """A likely_to_miss finding: the chance, then where the node lands at its deadline."""
    deadline = _day(n["deadline"])
    sentence = (
        f"The forecast gives {subject} a {_pct(n['probability'])} chance of reaching its "
        f"target by {deadline} (the threshold is {_pct(n['threshold'])}): at its own pace it "
        f"stands at {_pct(n['p50_value'])} then, {_pct(n['p85_value'])} with 85% confidence."
    )
    if n["p85_date"]:
        return sentence + f" 85% of the runs finish by {_day(n['p85_date'])}."
    return sentence + " Fewer than 85% of the runs finish within the forecast's horizon."


# How the two tasks of a duplicate_work finding relate to the plan (dashboards.duplicates).
DUPLICATE_LINKS = {
    0: "Neither is linked to a roadmap item.",
    1: "Both belong to the roadmap item {shared}.",
    2: "Both serve the key result {shared}.",
    3: "Only one of them is linked to a roadmap item.",
}


def _plain(names: Names, kind: str, node_id: int) -> str:
    link = names.get(kind, node_id)
    return link.label if link else f"{kind.replace('_', ' ')} {node_id}"


def _duplicate_sentence(finding: Finding, n: _Numbers, names: Names, subject: str) -> str:
    evidence = [(str(k), int(i)) for k, i in finding.evidence]
    others = [i for k, i in evidence if k == "task"]
    teams = [_plain(names, "team", i) for k, i in evidence if k == "team"] + ["another team"] * 2
    shared = next(((k, i) for k, i in evidence if k in ("roadmap_item", "key_result")), None)
    other = names.label("task", others[0]) if others else "another task"
    link = DUPLICATE_LINKS.get(int(n["link"]), "")
    return (
        f"{subject} ({teams[0]}) and {other} ({teams[1]}) look like the same work in two "
        f"teams: their titles are {_pct(n['similarity'])} alike (the threshold is "
        f"{_pct(n['minimum'])}). " + link.format(shared=names.label(*shared) if shared else "")
    ).strip()


# Groups of the leader dashboard and the findings API, in the order a leader reads them when
# their impact ties: title, and what the group is about.
KINDS: dict[str, tuple[str, str]] = {
    "blocked_chain": ("Blocked chains", "Work waiting on other teams' open work."),
    "item_overdue": ("Past their target", "Roadmap items late with open work."),
    "kr_behind_pace": ("Behind pace", "Key results below the pace of their period."),
    "objective_without_work": ("No work linked", "Objectives nothing on the roadmap serves."),
    "kr_no_check_in": ("Stale key results", "Key results without a recent check-in."),
    "low_alignment": ("Unaligned work", "Sprints whose points trace to no active key result."),
    "scope_added": ("Scope added", "Sprints that grew after they started."),
    "duplicate_work": ("Duplicate work", "The same work in two teams, in other words."),
    "likely_to_miss": (
        "Likely to miss",
        "Forecasts from each node's own pace give it less than an even chance.",
    ),
}


def kind_title(code: str) -> str:
    return KINDS.get(code, (code.replace("_", " ").capitalize(), ""))[0]


def finding_keys(findings: Iterable[Finding]) -> list[Key]:
    keys: list[Key] = []
    for finding in findings:
        keys.append((finding.subject_kind, finding.subject_id))
        keys.extend((str(k), int(i)) for k, i in finding.evidence)
    return keys


@dataclass
class ShownFinding:
    finding: Finding
    sentence: str
    subject: Link | None
    evidence: list[Link]


def shown(findings: Iterable[Finding], names: Names) -> list[ShownFinding]:
    """Findings with their sentence and the links to the records behind them."""
    result = []
    for finding in findings:
        evidence = [names.get(str(k), int(i)) for k, i in finding.evidence]
        result.append(
            ShownFinding(
                finding=finding,
                sentence=finding_sentence(finding, names),
                subject=names.get(finding.subject_kind, finding.subject_id),
                evidence=[link for link in evidence if link is not None],
            )
        )
    return result
