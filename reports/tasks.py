"""The weekly leadership digest as a periodic task."""

from __future__ import annotations

from celery import shared_task

from reports.digest import digest_send


# Beat runs it every hour (cataligent/settings.py); it sends once the week's DIGEST_WEEKDAY and
# DIGEST_HOUR have come, and the outbox's event key (the ISO week) makes it once a week: a beat
# that was down at the hour still sends the digest at the next run.
@shared_task(
    name="reports.tasks.send_leadership_digest",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def send_leadership_digest() -> int:
    return digest_send()
