"""Creating a workspace, and signing up with a first one."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from alignment.audit import audit_record
from alignment.errors import (
    FieldErrors,
)
from alignment.models import (
    RESERVED_SLUGS,
    Membership,
    Role,
    User,
    Workspace,
)


def _unique_slug(name: str) -> str:
    base = (slugify(name)[:40].strip("-") or "workspace").lower()
    if base in RESERVED_SLUGS:
        base = f"{base}-team"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def workspace_create(*, actor: User, name: str, slug: str = "") -> Workspace:
    """Create a workspace with `actor` as its owner."""
    name = name.strip()
    if not name:
        raise FieldErrors({"name": "Give the workspace a name."})
    if slug:
        if slug in RESERVED_SLUGS:
            raise FieldErrors({"slug": f"“{slug}” is reserved; choose another."})
        if Workspace.objects.filter(slug=slug).exists():
            raise FieldErrors({"slug": f"“{slug}” is taken; choose another."})
    workspace = Workspace(name=name, slug=slug or _unique_slug(name))
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    audit_record(workspace=workspace, actor=actor, verb="workspace.created", obj=workspace)
    return workspace


@transaction.atomic
def user_sign_up(*, email: str, password: str, full_name: str, workspace_name: str) -> User:
    """A new person with a new workspace of their own, which they own."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise FieldErrors({"email": "An account with this e-mail exists. Log in instead."})
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    workspace_create(actor=user, name=workspace_name)
    return user
