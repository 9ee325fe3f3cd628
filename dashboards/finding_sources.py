"""Findings other apps raise, as an explicit registry (dashboards may not import them).

An app above dashboards (standards) registers a source in its `AppConfig.ready()`: its code,
the title and description of its group, how to compute its findings for a workspace (unsaved
rows built with `drift_base.new_finding`) and the sentence that explains one. The drift refresh
stores them with every other finding, so dismissals, ranking, the API and the leader page
treat them alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignment.models import Workspace
    from dashboards.models import Finding
    from dashboards.reasons import Names


@dataclass(frozen=True)
class FindingSource:
    code: str
    title: str
    about: str
    compute: Callable[[Workspace, Any], list[Finding]]  # (workspace, now)
    sentence: Callable[[Finding, Names], str]


_sources: dict[str, FindingSource] = {}


def register(source: FindingSource) -> None:
    """Add a source (idempotent) and its group to the kinds pages and the API know."""
    from dashboards.reasons import KINDS

    _sources[source.code] = source
    KINDS.setdefault(source.code, (source.title, source.about))


def sources() -> list[FindingSource]:
    return list(_sources.values())


def source_for(code: str) -> FindingSource | None:
    return _sources.get(code)
