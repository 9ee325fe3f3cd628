"""Ending a person's signed-in sessions everywhere (deprovisioning, lost devices)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from alignment.models import User


def user_sessions_end(user: User) -> int:
    """Delete every unexpired database session of `user`; returns how many.

    Sessions are not indexed by user, so this decodes each live session once: fine for a
    rare administrative act, not for a request path. Only the database backend is supported
    (the one settings.py configures); another backend is refused rather than silently skipped.
    """
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        raise RuntimeError(f"Cannot end sessions stored by {settings.SESSION_ENGINE}.")
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(2000)
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    return Session.objects.filter(pk__in=doomed).delete()[0]
