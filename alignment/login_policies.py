"""Rules that can refuse a password log-in whose password was right (e.g. "SSO required").

The core does not know about single sign-on. An app that owns such a rule registers it in its
`AppConfig.ready`; `EmailBackend` asks every rule once the password has matched, and a refusal
becomes a `PasswordLoginRefused` page that says why and where to log in instead.
"""

from __future__ import annotations

from collections.abc import Callable

from alignment.errors import DomainError
from alignment.models import User

# A rule returns None to allow, or the sentence telling the person why not and what to do.
PasswordPolicy = Callable[[User], str | None]
_policies: list[PasswordPolicy] = []


class PasswordLoginRefused(DomainError):
    status, code = 403, "password_login_refused"
    message = "Password log-in is turned off for this account."


def register_password_policy(policy: PasswordPolicy) -> None:
    if policy not in _policies:
        _policies.append(policy)


def check_password_login(user: User) -> None:
    """Raise PasswordLoginRefused if a registered rule refuses this user's password log-in."""
    for policy in _policies:
        refusal = policy(user)
        if refusal:
            raise PasswordLoginRefused(refusal)
