"""Where Celery finds this app's tasks (autodiscovery imports `<app>.tasks`).

Each room defines its own; their names stay `dependencies.tasks.*` (and the reminder's
`objectives.tasks.*`), the names beat, the queue routes and queued messages carry.
"""

from dependencies.escalations.delivery import send_notifications, send_pending_notifications
from dependencies.escalations.tasks import escalate_task, remind_overdue_updates_task
from dependencies.recompute.tasks import recompute_impact

__all__ = [
    "escalate_task",
    "recompute_impact",
    "remind_overdue_updates_task",
    "send_notifications",
    "send_pending_notifications",
]
