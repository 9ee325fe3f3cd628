"""The event bus: after-commit handlers skip rolled-back writes; in-transaction ones share them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from alignment import events
from alignment.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Pinged:
    note: str


@pytest.fixture
def recorded():
    seen: list[tuple[str, str]] = []

    def after(event: Pinged) -> None:
        seen.append(("after", event.note))

    def during(event: Pinged) -> None:
        seen.append(("during", event.note))
        User.objects.create(email=f"{event.note}@events.example")

    events.subscribe(Pinged, after)
    events.subscribe(Pinged, during, in_transaction=True)
    yield seen
    events.unsubscribe(Pinged, after)
    events.unsubscribe(Pinged, during)


def test_in_transaction_handler_runs_at_publish_and_after_commit_handler_on_commit(recorded):
    with transaction.atomic():
        events.publish_on_commit(Pinged("kept"))
        assert recorded == [("during", "kept")]
    assert recorded == [("during", "kept"), ("after", "kept")]
    assert User.objects.filter(email="kept@events.example").exists()


def test_rolled_back_change_takes_in_transaction_writes_with_it(recorded):
    def failing_change() -> None:
        with transaction.atomic():
            events.publish_on_commit(Pinged("lost"))
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        failing_change()
    assert recorded == [("during", "lost")]
    assert not User.objects.filter(email="lost@events.example").exists()


def test_subscribing_twice_runs_once(recorded):
    def extra(event: Pinged) -> None:
        recorded.append(("extra", event.note))

    events.subscribe(Pinged, extra)
    events.subscribe(Pinged, extra)
    try:
        with transaction.atomic():
            events.publish_on_commit(Pinged("x"))
    finally:
        events.unsubscribe(Pinged, extra)
    assert recorded.count(("extra", "x")) == 1
