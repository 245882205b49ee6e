"""The escalation engine's pass and the overdue-update reminders, as periodic tasks."""

from __future__ import annotations

from celery import shared_task

from dependencies.escalations.engine import escalate
from dependencies.escalations.reminders import remind_overdue_updates


# The names are the ones beat and the queue routes know (cataligent/settings.py).
@shared_task(
    name="dependencies.tasks.escalate_task",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def escalate_task() -> dict[str, int]:
    """One pass of the escalation engine (beat runs it every minute)."""
    result = escalate()
    return {"fired": len(result.fired), "resolved": len(result.resolved)}


@shared_task(
    name="objectives.tasks.remind_overdue_updates_task",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def remind_overdue_updates_task() -> int:
    """Daily: remind owners whose status update is overdue (idempotent per day)."""
    return remind_overdue_updates()
