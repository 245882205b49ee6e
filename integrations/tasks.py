"""Celery tasks: thin wrappers around the sync service.

Every task is idempotent (a duplicate delivery finds the connector claimed or
nothing new), acknowledged late, and has a hard time limit below the broker's
visibility timeout.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations.models import Connector
from integrations.sync import sync_connector
from integrations.sync_schedule import RECONCILE, runs_interrupted, syncs_due

log = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=1700, time_limit=1800)
def sync_connector_task(connector_id: int, full: bool = False, trigger: str = "schedule") -> Any:
    connector = Connector.objects.filter(pk=connector_id, enabled=True).first()
    if connector is None:
        return {"skipped": "connector missing or disabled"}
    run = sync_connector(connector=connector, full=full, trigger=trigger)
    if run is None:
        return {"skipped": "another run holds the connector; this sync runs after it"}
    return {"run": run.pk, "outcome": run.outcome, "fetched": run.fetched}


def sync_queue(connector_id: int, *, full: bool, trigger: str) -> bool:
    """Queue a sync now ("sync now"); False when the broker cannot be reached (Redis down):
    the caller says so instead of failing, and the schedule queues it once the broker is back."""
    try:
        sync_connector_task.delay(connector_id, full=full, trigger=trigger)
    except OperationalError:
        log.warning("could not queue a sync of connector %s: broker unreachable", connector_id)
        return False
    return True


@shared_task(acks_late=True, time_limit=60)
def schedule_syncs() -> dict[str, Any]:
    """Beat calls this every few seconds: notice runs whose worker died (their lease ran
    out), then queue each connector that is due, owed a sync, or due its reconciliation."""
    interrupted = runs_interrupted()
    queued = []
    for due in syncs_due():
        # Counted as attempted from now: until a worker takes the task, the next beats
        # must not queue the same connector again (the duplicates would sync back to back).
        queued_at = timezone.now()
        Connector.objects.filter(pk=due.connector.pk).update(
            last_attempt_at=queued_at,
            # Today's reconciliation is under way: not queued again by the next beats.
            **({"reconciled_at": queued_at} if due.trigger == RECONCILE else {}),
        )
        sync_connector_task.delay(due.connector.pk, full=due.full, trigger=due.trigger)
        queued.append(due.connector.slug)
    return {"queued": queued, "interrupted": interrupted}
