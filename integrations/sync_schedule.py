"""When a connector syncs: what beat queues (:func:`syncs_due`: the poll interval, syncs
owed, the daily reconciliation hour) and the runs whose worker died
(:func:`runs_interrupted`). The run itself is integrations.sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from integrations.models import Connector, SyncRun

__all__ = [
    "INTERRUPTED_ERROR",
    "RECONCILE",
    "DueSync",
    "connectors_due",
    "runs_interrupted",
    "syncs_due",
]

# The trigger of the daily full reconciliation (settings.SYNC_RECONCILE_HOUR).
RECONCILE = "reconcile"

INTERRUPTED_ERROR = (
    "The worker stopped during this run (its lease ran out); a new run resumes from its last "
    "committed page."
)


def runs_interrupted(*, connector: Connector | None = None, alive: str = "") -> int:
    """Mark as interrupted the runs whose worker no longer holds their connector's lease,
    and owe their connectors a sync (the scheduler queues it at once).

    The lease, not the broker, is the truth: a killed worker's run is found here as soon as
    its lease runs out, while its task message may come back only hours later (Redis's
    visibility timeout). ``alive``: the lease owner that is known to be running.
    """
    now = timezone.now()
    running = SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING)
    if connector is not None:
        running = running.filter(connector=connector)
    stale = running.exclude(worker=alive) if alive else running
    stale = stale.exclude(connector__claimed_by=F("worker"), connector__claimed_until__gte=now)
    dead = list(stale.values_list("pk", "connector_id"))
    if not dead:
        return 0
    count = SyncRun.objects.filter(
        pk__in=[pk for pk, _ in dead], outcome=SyncRun.Outcome.RUNNING
    ).update(outcome=SyncRun.Outcome.INTERRUPTED, finished_at=now, error=INTERRUPTED_ERROR)
    Connector.objects.filter(
        pk__in={connector_id for _, connector_id in dead}, sync_requested_at__isnull=True
    ).update(sync_requested_at=now)
    return count


@dataclass(frozen=True)
class DueSync:
    connector: Connector
    full: bool
    trigger: str


def syncs_due(now: datetime | None = None) -> list[DueSync]:
    """What beat queues now: each enabled, free connector whose poll interval has passed,
    that is owed a sync (asked for while busy, or after a run that did not finish), or
    whose daily reconciliation hour has come."""
    now = now or timezone.now()
    reconcile_from = _reconcile_mark(now)
    due = []
    for connector in Connector.objects.filter(enabled=True):
        if not connector.lease_is_free(now):
            continue
        last = connector.last_attempt_at
        if reconcile_from is not None and (
            connector.reconciled_at is None or connector.reconciled_at < reconcile_from
        ):
            due.append(DueSync(connector, full=True, trigger=RECONCILE))
        elif connector.sync_requested_at is not None and (
            last is None or connector.sync_requested_at >= last
        ):
            due.append(DueSync(connector, full=connector.sync_requested_full, trigger="owed"))
        elif last is None or (now - last).total_seconds() >= connector.poll_interval:
            due.append(DueSync(connector, full=False, trigger="schedule"))
    return due


def _reconcile_mark(now: datetime) -> datetime | None:
    """The start of today's reconciliation hour, once it has come (None: not yet, or off)."""
    hour = settings.SYNC_RECONCILE_HOUR
    if hour < 0:
        return None
    local = timezone.localtime(now)
    mark = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < mark:
        return None
    # Within the hour only: a server started at noon does not reconcile everything at once.
    return mark if local < mark + timedelta(hours=1) else None


def connectors_due(now: datetime | None = None) -> list[Connector]:
    return [due.connector for due in syncs_due(now)]
