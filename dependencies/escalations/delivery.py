"""Sending notifications: e-mail and the escalation webhook (Slack or Teams), with retries.

A Celery task sends each row once the transaction that recorded it has committed and marks it
sent, or records the error and when to try again. The retry sweep tries again with exponential
backoff and jitter for a day, so a mail server or webhook that is down for hours still gets the
message; after a day the row is failed for good, with its last error, for an admin to see
(admin: Notifications, status "Failed"). Webhooks go through the product's one outbound HTTP
client.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from dependencies.models import Notification
from integrations.connectors.http import HttpClient, RetryPolicy, backoff_delay

log = logging.getLogger(__name__)

# Retries: 1 min after the first failure, doubling (with jitter) up to 4 h between tries,
# for a day after that first failure; then failed for good.
RETRY_BACKOFF = RetryPolicy(backoff_base=60.0, backoff_max=4 * 3600.0)
RETRY_FOR = timedelta(days=1)
# The on-commit task normally sends a new notification at once; the sweep takes over the
# ones that task did not reach (lost with a broker restart) after this long.
SWEEP_AFTER = timedelta(minutes=1)

# Hosts of Microsoft Teams webhooks. Office 365 connectors are retired; Teams takes Adaptive
# Cards through Workflows (Power Automate) webhooks, whose URLs are on these hosts.
TEAMS_WEBHOOK_HOSTS = (
    "logic.azure.com",
    "powerplatform.com",
    "powerautomate.com",
    "flow.microsoft.com",
    "webhook.office.com",
)


def is_teams_webhook(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == known or host.endswith("." + known) for known in TEAMS_WEBHOOK_HOSTS)


def webhook_payload(notification: Notification) -> dict[str, Any]:
    """The message in the shape the webhook takes: an Adaptive Card for Teams (Workflows
    webhooks take only that: https://learn.microsoft.com/microsoftteams/platform/
    webhooks-and-connectors/how-to/connectors-using), ``{"text"}`` for Slack and the
    many tools that copy Slack's incoming webhooks."""
    style = settings.ESCALATION_WEBHOOK_FORMAT
    if style == "auto":
        style = "teams" if is_teams_webhook(settings.ESCALATION_WEBHOOK_URL) else "slack"
    if style == "slack":
        return {"text": "\n".join([f"*{notification.subject}*", notification.body])}
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": notification.subject,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": notification.body, "wrap": True},
        ],
    }
    if notification.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": notification.link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def send_notification(notification: Notification) -> None:
    """Send one pending notification; record success, or the error and the next try."""
    notification.attempts += 1
    try:
        if notification.channel == Notification.Channel.EMAIL:
            html = notification.html or render_to_string(
                "notifications/email.html",
                {
                    "subject": notification.subject,
                    "body": notification.body,
                    "link": notification.link,
                },
            )
            message = EmailMultiAlternatives(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.email],  # type: ignore[union-attr]
            )
            message.attach_alternative(html, "text/html")
            message.send()
        elif notification.channel == Notification.Channel.WEBHOOK:
            with HttpClient(
                base_url=settings.ESCALATION_WEBHOOK_URL,
                allow_private_networks=settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS,
            ) as client:
                client.request(
                    "POST", settings.ESCALATION_WEBHOOK_URL, json=webhook_payload(notification)
                )
    except Exception as exc:  # recorded on the row; the sweep retries it later
        notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        _schedule_retry(notification)
        notification.save(
            update_fields=["attempts", "last_error", "status", "failing_since", "next_attempt_at"]
        )
        return
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.next_attempt_at = None
    notification.last_error = ""
    notification.save(
        update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"]
    )


def _schedule_retry(notification: Notification) -> None:
    """The next try after a failure: backoff with jitter, the last one when the day is up."""
    now = timezone.now()
    if notification.failing_since is None:
        notification.failing_since = now
    deadline = notification.failing_since + RETRY_FOR
    if now >= deadline:
        notification.status = Notification.Status.FAILED
        notification.next_attempt_at = None
        log.error(
            "notification %s failed for good after %d attempts: %s",
            notification.pk,
            notification.attempts,
            notification.last_error,
        )
        return
    delay = backoff_delay(notification.attempts, RETRY_BACKOFF, random.random)
    notification.next_attempt_at = min(now + timedelta(seconds=delay), deadline)
    log.warning(
        "notification %s failed (attempt %d), next try at %s: %s",
        notification.pk,
        notification.attempts,
        notification.next_attempt_at,
        notification.last_error,
    )


def notifications_send(ids: list[int] | None = None) -> int:
    """Send pending notifications (these ids, or all due for a retry); returns how many sent.

    Each row is locked while it is sent (SKIP LOCKED), so two workers never send one twice.
    """
    sent = 0
    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    else:
        now = timezone.now()
        pending = pending.filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - SWEEP_AFTER)
        )
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(pk=pk, status=Notification.Status.PENDING)
                .first()
            )
            if row is None:
                continue
            send_notification(row)
            sent += row.status == Notification.Status.SENT
    return sent


# The names are the ones beat and the queue routes know (cataligent/settings.py).
@shared_task(
    name="dependencies.tasks.send_notifications",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def send_notifications(ids: list[int]) -> int:
    return notifications_send(ids)


@shared_task(
    name="dependencies.tasks.send_pending_notifications",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def send_pending_notifications() -> int:
    """Retries notifications that failed or whose task was lost."""
    return notifications_send()
