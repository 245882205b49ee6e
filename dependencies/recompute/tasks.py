"""The recompute task, and the receiver that queues it when a change is recorded."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.dispatch import receiver

from dependencies.graph.changes import impact_change_recorded
from dependencies.recompute.runner import impact_recompute

log = logging.getLogger(__name__)


# Idempotent: it computes whatever was requested and stops; a second copy of the
# task finds nothing to do or the lease taken. The hard limit stays below the lease.
# The name is the one beat and the queue routes know (cataligent/settings.py).
@shared_task(
    name="dependencies.tasks.recompute_impact",
    acks_late=True,
    soft_time_limit=480,
    time_limit=540,
)
def recompute_impact(force: bool = False) -> dict[str, Any]:
    outcome = impact_recompute(force=force, reason="changes since the last recompute")
    return {
        "ran": outcome.ran,
        "passes": outcome.passes,
        "version": outcome.version,
        "incremental": outcome.incremental,
    }


@receiver(impact_change_recorded, dispatch_uid="dependencies.recompute.enqueue")
def enqueue_recompute(**_: Any) -> None:
    try:
        recompute_impact.delay()
    except Exception:  # the periodic recompute catches up; the change is already recorded
        log.warning(
            "could not queue the impact recompute; the periodic run will do it", exc_info=True
        )
