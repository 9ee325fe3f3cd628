"""Serializers and viewsets of the workspace core, one module per resource."""

from alignment.api.audit import AuditEventViewSet
from alignment.api.core import MeView, TeamViewSet, WorkspaceListView
from alignment.api.invitations import InvitationViewSet
from alignment.api.members import MembershipViewSet
from alignment.api.tokens import ApiTokenViewSet

__all__ = [
    "ApiTokenViewSet",
    "AuditEventViewSet",
    "InvitationViewSet",
    "MeView",
    "MembershipViewSet",
    "TeamViewSet",
    "WorkspaceListView",
]
