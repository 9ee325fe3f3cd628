"""Create an API token for a member from the command line; prints only the raw token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment import services
from alignment.errors import FieldErrors
from alignment.models import Membership, TokenScope, User, Workspace


class Command(BaseCommand):
    help = (
        "Create an API token for a member of a workspace and print the raw token (only it, so "
        "scripts can capture it). Example: create_api_token --email ada@example.com "
        "--workspace acme --scope write"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The member's e-mail address.")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--scope", choices=TokenScope.values, default=TokenScope.READ, help="read or write."
        )
        parser.add_argument("--name", default="Command line", help="What the token is for.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="Days until it expires (1–366). Omit for a token that never expires.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user has the e-mail address {email}.")
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace has the slug “{options['workspace']}”.")
        membership = (
            Membership.objects.for_workspace(workspace)
            .select_related("workspace", "user")
            .filter(user=user)
            .first()
        )
        if membership is None:
            raise CommandError(f"{user.email} is not a member of {workspace.slug}.")
        try:
            _token, raw = services.api_token_create(
                actor=membership,
                name=options["name"],
                scope=options["scope"],
                expires_in_days=options["expires_in_days"],
            )
        except FieldErrors as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"The token was not created: {problems}") from exc
        self.stdout.write(raw)
