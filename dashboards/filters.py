"""django-filter FilterSets of the dashboards API: which materialized rows a list shows."""

from __future__ import annotations

import django_filters

from alignment.api_query import IdFilter, IsoDateFilter, OneOfFilter
from dashboards.models import Deployment, Incident, NodeKind, Rollup, Snapshot, TeamMetrics
from okrs.health import STATUS_LABELS


class NodeFilter(django_filters.FilterSet):
    """The rows of one kind of node, or of one node (kind and node_id)."""

    kind = OneOfFilter(values=NodeKind.values, help_text="Only nodes of this kind.")
    node_id = IdFilter(help_text="Only this node (with kind).")


class RollupFilter(NodeFilter):
    status = OneOfFilter(values=STATUS_LABELS)

    class Meta:
        model = Rollup
        fields = ["kind", "node_id", "status"]


class SnapshotFilter(NodeFilter):
    since = IsoDateFilter(field_name="day", lookup_expr="gte")
    until = IsoDateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = Snapshot
        fields = ["kind", "node_id", "since", "until"]


class TeamFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")


class TeamMetricsFilter(TeamFilter):
    class Meta:
        model = TeamMetrics
        fields = ["team"]


class DeploymentFilter(TeamFilter):
    class Meta:
        model = Deployment
        fields = ["team"]


class IncidentFilter(TeamFilter):
    class Meta:
        model = Incident
        fields = ["team"]
