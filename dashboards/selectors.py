"""Reads for the dashboard pages and API: materialized rows only, a fixed number of queries.

Nothing here recomputes progress: rollups, findings, team metrics and snapshots are written
by jobs; the dashboards load them for a whole page at once and attach names and links. The
rollup rows a page reads are first brought up to date through the read model's freshness
step (`readmodel.selectors.refresh_rows_of`: queue drained, missing and earlier-day rows
computed), as on every other page.

One module per page: `selectors_leader` (the leader dashboard), `selectors_team` (a team's
dashboard); what both show of a record is `node_view`, a team's row `team_rows`. This module
names them for the views, the digest and the API.
"""

from __future__ import annotations

from dashboards.node_view import NodeView
from dashboards.selectors_leader import (
    LEADER_PARTS,
    LIST_SHOWN,
    TREND_DAYS,
    LeaderDashboard,
    leader_dashboard,
)
from dashboards.selectors_team import (
    FINDINGS_SHOWN,
    TEAM_PARTS,
    StoredMetrics,
    TeamDashboard,
    stored_metrics_of,
    team_dashboard,
    with_rows_current,
    with_team_metrics,
)
from dashboards.team_rows import DORA_METRICS, DoraCell, TeamRow, dora_value, latest_benchmark
from dashboards.team_rows import team_rows as team_rows

__all__ = [
    "DORA_METRICS",
    "FINDINGS_SHOWN",
    "LEADER_PARTS",
    "LIST_SHOWN",
    "TEAM_PARTS",
    "TREND_DAYS",
    "DoraCell",
    "LeaderDashboard",
    "NodeView",
    "StoredMetrics",
    "TeamDashboard",
    "TeamRow",
    "dora_value",
    "latest_benchmark",
    "leader_dashboard",
    "stored_metrics_of",
    "team_dashboard",
    "team_rows",
    "with_rows_current",
    "with_team_metrics",
]
