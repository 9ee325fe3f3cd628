"""Factories of the workspace core. Children take their workspace from their parent."""

from __future__ import annotations

import factory

from alignment.models import (
    ApiToken,
    Invitation,
    Membership,
    Role,
    Team,
    TokenScope,
    User,
    Workspace,
    hash_secret,
)

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    key = factory.Sequence(lambda n: f"T{n}")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    class Params:
        raw_token = factory.Sequence(lambda n: f"invite-token-{n}")

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token_hash = factory.LazyAttribute(lambda o: hash_secret(o.raw_token))


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """Build with `raw=` to know the token: ApiTokenFactory(raw="aln_x", ...)."""

    class Meta:
        model = ApiToken

    class Params:
        raw = factory.Sequence(lambda n: f"aln_test_token_{n:06d}")

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    name = "test token"
    prefix = factory.LazyAttribute(lambda o: o.raw[:10])
    token_hash = factory.LazyAttribute(lambda o: hash_secret(o.raw))
    scope = TokenScope.WRITE
