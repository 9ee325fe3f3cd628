"""One object of each SSO model for the tenancy and role matrices (tests/matrix_world.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from sso.models import SsoConnection, SsoIdentity

if TYPE_CHECKING:
    from tests.matrix_world import WorldObjects


def _connection(objects: WorldObjects) -> SsoConnection:
    connection = SsoConnection(
        workspace=objects.workspace,
        issuer="https://idp.example.com",
        client_id=f"alignment-{objects.workspace.slug}",
        allowed_domains=[f"{objects.workspace.slug}.example.com"],
    )
    connection.set_client_secret(f"secret-{objects.workspace.slug}")
    connection.save()
    return connection


def _identity(objects: WorldObjects) -> SsoIdentity:
    user = objects.world.member.user
    return SsoIdentity.objects.create(
        workspace=objects.workspace,
        connection=objects[SsoConnection],
        user=user,
        issuer="https://idp.example.com",
        subject=f"sub-{user.pk}",
        email=user.email,
    )


def sso_samples() -> dict[type[Model], Callable[[WorldObjects], Any]]:
    return {SsoConnection: _connection, SsoIdentity: _identity}
