from __future__ import annotations

from typing import Any

from celery import shared_task

from dependencies.recompute.runner import impact_recompute


# Idempotent: it computes whatever was requested and stops; a second copy of the
# task finds nothing to do or the lease taken. The hard limit stays below the lease.
@shared_task(acks_late=True, soft_time_limit=480, time_limit=540)
def recompute_impact(force: bool = False) -> dict[str, Any]:
    outcome = impact_recompute(force=force, reason="changes since the last recompute")
    return {
        "ran": outcome.ran,
        "passes": outcome.passes,
        "version": outcome.version,
        "incremental": outcome.incremental,
    }


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def escalate_task() -> dict[str, int]:
    """One pass of the escalation engine (beat runs it every minute)."""
    from dependencies.escalations.engine import escalate

    result = escalate()
    return {"fired": len(result.fired), "resolved": len(result.resolved)}


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_notifications(ids: list[int]) -> int:
    from dependencies.escalations.notifications import notifications_send

    return notifications_send(ids)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_pending_notifications() -> int:
    """Retries notifications that failed or whose task was lost."""
    from dependencies.escalations.notifications import notifications_send

    return notifications_send()
