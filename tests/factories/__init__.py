from tests.factories.core import (
    ApiTokenFactory,
    InvitationFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WorkspaceFactory,
)

__all__ = [
    "ApiTokenFactory",
    "InvitationFactory",
    "MembershipFactory",
    "TeamFactory",
    "UserFactory",
    "WorkspaceFactory",
]
