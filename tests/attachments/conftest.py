from __future__ import annotations

import pytest

from attachments.storage import attachment_storage
from tasks.models import Task
from tests.conftest import World
from tests.factories.work import TaskFactory


@pytest.fixture(autouse=True)
def fresh_storage(settings, tmp_path):
    """Each test starts with an empty attachments folder (rows roll back; files would not)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments"), "base_url": None},
        },
    }
    return tmp_path / "attachments"


@pytest.fixture
def task(world: World) -> Task:
    return TaskFactory(team=world.team, created_by=world.member.user)


def stored(key: str) -> bytes:
    with attachment_storage().open(key, "rb") as handle:
        return handle.read()


def exists(key: str) -> bool:
    return attachment_storage().exists(key)
