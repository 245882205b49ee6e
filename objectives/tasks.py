from celery import shared_task

from objectives.reminders import remind_overdue_updates


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def remind_overdue_updates_task() -> int:
    """Daily: remind owners whose status update is overdue (idempotent per day)."""
    return remind_overdue_updates()
