"""Celery tasks of automation: thin, idempotent wrappers (ids in, counts out)."""

from __future__ import annotations

from celery import shared_task

from automation import engine


@shared_task(name="automation.process_event")
def process_event(event_id: int) -> int:
    """Run the rules of one stored event (a second run of the same event does nothing)."""
    return engine.process_event(event_id)


@shared_task(name="automation.tick")
def tick() -> int:
    """Beat, every minute: due schedule rules, then events whose processing was lost."""
    return engine.run_scheduled() + engine.sweep()
