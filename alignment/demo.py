"""The demo company used by `make run`: people with every role, and teams. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from alignment.models import Membership, Role, Team, TeamMember, User, Workspace

DEMO_PASSWORD = "demo-password"
DEMO_SLUG = "acme"

# (e-mail local part, full name, workspace role, team keys)
PEOPLE = [
    ("ceo", "Dana Whitfield", Role.OWNER, []),
    ("admin", "Sam Okafor", Role.ADMIN, ["PLT"]),
    ("priya", "Priya Raman", Role.MEMBER, ["PLT"]),
    ("marco", "Marco Bianchi", Role.MEMBER, ["PLT"]),
    ("lena", "Lena Fischer", Role.MEMBER, ["MOB"]),
    ("kenji", "Kenji Watanabe", Role.MEMBER, ["MOB"]),
    ("ana", "Ana Souza", Role.MEMBER, ["GRO"]),
    ("tom", "Tom Becker", Role.MEMBER, ["GRO", "DAT"]),
    ("amira", "Amira Haddad", Role.MEMBER, ["DAT"]),
    ("viewer", "Vic Stakeholder", Role.VIEWER, []),
]
TEAMS = [
    ("PLT", "Platform", "APIs, infrastructure and developer experience."),
    ("MOB", "Mobile", "The iOS and Android apps."),
    ("GRO", "Growth", "Sign-up, activation and pricing experiments."),
    ("DAT", "Data", "Analytics, reporting and the data platform."),
]


@dataclass
class DemoCompany:
    workspace: Workspace
    teams: dict[str, Team] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)


def email_of(local: str) -> str:
    return f"{local}@acme.example"


@transaction.atomic
def seed_company() -> DemoCompany:
    workspace, _ = Workspace.objects.get_or_create(
        slug=DEMO_SLUG, defaults={"name": "Acme Robotics"}
    )
    company = DemoCompany(workspace=workspace)
    for key, name, description in TEAMS:
        company.teams[key], _ = Team.objects.get_or_create(
            workspace=workspace, key=key, defaults={"name": name, "description": description}
        )
    for local, full_name, role, team_keys in PEOPLE:
        user = User.objects.filter(email=email_of(local)).first()
        if user is None:
            user = User.objects.create_user(
                email=email_of(local), password=DEMO_PASSWORD, full_name=full_name
            )
        company.people[local] = user
        Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": role})
        for key in team_keys:
            TeamMember.objects.get_or_create(
                workspace=workspace, team=company.teams[key], user=user
            )
    return company
