"""Reminders for overdue structured status updates (one a day per objective at most)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dependencies.escalations.notifications import record_notifications
from dependencies.models import Notification
from objectives.selectors import objectives_update_overdue


def remind_overdue_updates(*, now: dt.datetime | None = None) -> int:
    """Record a reminder to each owner of an objective whose update is overdue."""
    now = now or timezone.now()
    rows = []
    for objective in objectives_update_overdue(now=now):
        owner = objective.owner
        if owner is None:
            continue  # an ownership gap: the escalation engine and the gaps page cover it
        url = settings.SITE_URL + reverse("objective-detail", args=[objective.key])
        body = render_to_string(
            "notifications/update_overdue.txt", {"objective": objective, "url": url}
        )
        subject = f"[Cataligent] Status update due: {objective.key} {objective.title}"
        channels = [Notification.Channel.INBOX]
        if owner.email:
            channels.append(Notification.Channel.EMAIL)
        for channel in channels:
            inbox = channel == Notification.Channel.INBOX
            rows.append(
                Notification(
                    recipient=owner,
                    channel=channel,
                    event=Notification.Event.UPDATE_OVERDUE,
                    event_key=f"update-overdue:{objective.pk}:{now.date().isoformat()}",
                    subject=subject,
                    body=body,
                    link=url,
                    status=Notification.Status.SENT if inbox else Notification.Status.PENDING,
                    sent_at=now if inbox else None,
                )
            )
    return len(record_notifications(rows))
