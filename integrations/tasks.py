"""Celery tasks of integrations: thin, idempotent wrappers (ids in, nothing out)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from celery import shared_task
from django.db import OperationalError

from alignment import local_schedule
from alignment.local_schedule import LocalSlot
from integrations import inbound, outbox

logger = logging.getLogger(__name__)
SWEEP_BATCH = 100  # queued imports re-sent per sweep


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


def enqueue_import(import_id: int) -> None:
    """Queue a committed import; with the broker down, the imports sweep sends it later."""
    try:
        import_run.delay(import_id)
    except Exception:  # noqa: BLE001 - any broker failure: the job row is safe, the sweep retries
        logger.warning("Could not enqueue import %s; the imports sweep will run it", import_id)


@shared_task(name="integrations.imports_sweep")
def imports_sweep() -> int:
    """Beat: re-send queued imports whose job never reached a worker (broker down at commit,
    message lost). Safe to repeat: a run claims its job first, so it never imports twice."""
    from integrations.models import ImportJob, ImportStatus

    queued = list(
        ImportJob.objects.filter(status=ImportStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for import_id in queued:
        enqueue_import(import_id)
    return len(queued)


@shared_task(name="integrations.weekly_digest")
def weekly_digest() -> int:
    """Every workspace's digest now, to every recipient, each for its own date (an operator's
    catch-up; beat runs `digest_tick`, which sends at each recipient's local time)."""
    from alignment.models import Workspace
    from alignment.timezones import today

    workspaces = list(Workspace.objects.order_by("pk").only("pk", "settings"))
    for workspace in workspaces:
        workspace_digest.delay(workspace_id=workspace.pk, day=today(workspace).isoformat())
    return len(workspaces)


@shared_task(
    name="integrations.workspace_digest",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def workspace_digest(*, workspace_id: int, day: str | None = None) -> int:
    """Write one workspace's weekly digest to the outbox; safe to repeat (dedupe per week)."""
    from alignment.models import Workspace
    from integrations.digest import send_digest

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    return send_digest(workspace, today=date.fromisoformat(day) if day else None)


def _digest_slot() -> LocalSlot:
    from django.conf import settings

    return LocalSlot.parse(settings.DIGEST_LOCAL_TIME, weekday=settings.DIGEST_WEEKDAY)


@shared_task(name="integrations.digest_tick")
def digest_tick() -> int:
    """Beat, every 15 minutes: queue the digest of each workspace where someone's local time
    (the workspace's, or a recipient's own zone) has reached DIGEST_WEEKDAY at
    DIGEST_LOCAL_TIME; the job sends to those people only, once per local week."""
    from django.utils import timezone

    from alignment.models import Membership, User, Workspace
    from alignment.timezones import workspace_zone_name

    slot = _digest_slot()
    now = timezone.now()
    workspaces = list(Workspace.objects.order_by("pk").only("pk", "settings"))
    own = set(User.objects.exclude(time_zone="").values_list("time_zone", flat=True).distinct())
    due = local_schedule.due_zones({workspace_zone_name(w) for w in workspaces} | own, slot, now)
    if not due:
        return 0
    with_due_people = set(
        Membership.objects.filter(user__time_zone__in=list(due)).values_list(
            "workspace_id", flat=True
        )
    )
    queued = [w.pk for w in workspaces if workspace_zone_name(w) in due or w.pk in with_due_people]
    for workspace_id in queued:
        workspace_digest_due.delay(workspace_id=workspace_id, at=now.isoformat())
    return len(queued)


@shared_task(
    name="integrations.workspace_digest_due",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def workspace_digest_due(*, workspace_id: int, at: str) -> int:
    """One workspace's digest to the recipients whose local time reached the slot at `at`;
    safe to repeat (dedupe per recipient and local week)."""
    from alignment.models import Workspace
    from integrations.digest import send_due_digest

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    return send_due_digest(workspace, now=datetime.fromisoformat(at), slot=_digest_slot())
