"""Celery tasks of integrations: thin, idempotent wrappers (ids in, nothing out)."""

from __future__ import annotations

from celery import shared_task

from integrations import inbound, outbox


@shared_task(name="integrations.process_delivery")
def process_delivery(delivery_id: int) -> None:
    """Run a stored delivery's handler; a finished delivery is left alone."""
    inbound.process(delivery_id)


@shared_task(name="integrations.deliver_outbox")
def deliver_outbox(message_id: int) -> None:
    """One attempt at one outbox message, if it is due and unclaimed."""
    outbox.deliver(message_id)


@shared_task(name="integrations.outbox_sweep")
def outbox_sweep() -> int:
    """Beat, every minute: send due, retrying and stuck messages."""
    return outbox.sweep()


@shared_task(name="integrations.deliveries_sweep")
def deliveries_sweep() -> int:
    """Beat, every minute: process deliveries whose enqueue was lost (broker down)."""
    return inbound.sweep_received()


@shared_task(name="integrations.import_run")
def import_run(import_id: int) -> None:
    """Run a queued import all or nothing; a finished import is left alone."""
    from integrations.importers import runner  # the tasks app loads after this one

    runner.run(import_id)
