"""Notifications: recorded first, sent after the commit, never twice for one event.

Each message is a Notification row (one per person and channel) created in the
same transaction as the event; a Celery task sends it once the transaction has
committed and marks it sent, or records the error and leaves it for the retry
sweep. The unique constraint on (event, person, channel) means a retried pass
cannot create a second message.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dependencies.models import Escalation, Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def item_link(escalation: Escalation) -> str:
    if escalation.node_id:
        return reverse("node-detail", args=[escalation.node.slug])  # type: ignore[union-attr]
    return reverse("objective-detail", args=[escalation.objective.key])  # type: ignore[union-attr]


def _item_context(escalation: Escalation) -> dict[str, Any]:
    item = escalation.item
    return {
        "escalation": escalation,
        "item_name": getattr(item, "name", None) or f"{item.key} {item.title}",  # type: ignore[attr-defined]
        "item_kind": "objective" if escalation.objective_id else item.get_kind_display(),  # type: ignore[attr-defined]
        "owner": item.owner,  # type: ignore[attr-defined]
        "team": item.team,  # type: ignore[attr-defined]
        "value_at_stake": getattr(item, "value_at_stake", None),
        "blocked_for": timezone.now() - escalation.episode_started_at,
        "url": settings.SITE_URL + item_link(escalation),
        "inbox_url": settings.SITE_URL + reverse("escalation-inbox"),
    }


def record_notifications(rows: list[Notification]) -> list[int]:
    """Insert the notifications that do not exist yet; queue them after the commit."""
    created = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
            created.append(row.pk)
        except IntegrityError:
            continue  # this event was already recorded for this person and channel
    if created:
        transaction.on_commit(lambda: _enqueue(created))
    return created


def _enqueue(ids: list[int]) -> None:
    from dependencies.tasks import send_notifications

    try:
        send_notifications.delay(ids)
    except Exception:  # the retry sweep sends them; they are recorded as pending
        log.warning("could not queue %d notifications; the sweep will send them", len(ids))


def _messages(
    escalation: Escalation, recipients: list[Any], event: str, template: str, subject: str
) -> list[Notification]:
    context = _item_context(escalation)
    body = render_to_string(f"notifications/{template}.txt", context)
    key = f"escalation:{escalation.pk}:{event}"
    rows = []
    for person in recipients:
        channels = [Notification.Channel.INBOX]
        if person.email:
            channels.append(Notification.Channel.EMAIL)
        rows.extend(
            Notification(
                recipient=person,
                channel=channel,
                event=event,
                event_key=key,
                escalation=escalation,
                subject=subject,
                body=body,
                link=context["url"],
                # The inbox shows it at once: there is nothing to send.
                status=Notification.Status.SENT
                if channel == Notification.Channel.INBOX
                else Notification.Status.PENDING,
                sent_at=timezone.now() if channel == Notification.Channel.INBOX else None,
            )
            for channel in channels
        )
    if settings.ESCALATION_WEBHOOK_URL:
        rows.append(
            Notification(
                recipient=None,
                channel=Notification.Channel.WEBHOOK,
                event=event,
                event_key=key,
                escalation=escalation,
                subject=subject,
                body=body,
                link=context["url"],
            )
        )
    return rows


def notify_escalation_fired(escalation: Escalation, *, recipients: list[Any]) -> list[int]:
    context = _item_context(escalation)
    subject = (
        f"[Cataligent] Escalation level {escalation.level}: {context['item_name']} "
        f"blocked since {escalation.episode_started_at:%Y-%m-%d %H:%M} UTC"
    )
    return record_notifications(
        _messages(
            escalation, recipients, Notification.Event.ESCALATION_FIRED, "escalation_fired", subject
        )
    )


def notify_escalation_resolved(escalation: Escalation) -> list[int]:
    """Tell everyone the escalation reached that the blocker is gone."""
    notified = {
        n.recipient
        for n in escalation.notifications.filter(
            event=Notification.Event.ESCALATION_FIRED, recipient__isnull=False
        ).select_related("recipient")
    }
    context = _item_context(escalation)
    subject = f"[Cataligent] Unblocked: {context['item_name']}"
    return record_notifications(
        _messages(
            escalation,
            sorted(notified, key=lambda u: u.pk),
            Notification.Event.ESCALATION_RESOLVED,
            "escalation_resolved",
            subject,
        )
    )


def send_notification(notification: Notification) -> None:
    """Send one pending notification; record success or the error."""
    from integrations.connectors.http import HttpClient  # the one outbound client

    notification.attempts += 1
    try:
        if notification.channel == Notification.Channel.EMAIL:
            html = render_to_string(
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
            # Slack and Teams incoming webhooks both take {"text": ...}.
            with HttpClient(
                base_url=settings.ESCALATION_WEBHOOK_URL,
                allow_private_networks=settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS,
            ) as client:
                client.request(
                    "POST",
                    settings.ESCALATION_WEBHOOK_URL,
                    json={"text": "\n".join([f"*{notification.subject}*", notification.body])},
                )
    except Exception as exc:  # recorded on the row; the sweep retries until MAX_ATTEMPTS
        notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
        notification.save(update_fields=["attempts", "last_error", "status"])
        log.warning(
            "notification %s failed (attempt %d): %s", notification.pk, notification.attempts, exc
        )
        return
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])


def notifications_send(ids: list[int] | None = None) -> int:
    """Send pending notifications (these ids, or all due for a retry); returns how many sent.

    Each row is locked while it is sent (SKIP LOCKED), so two workers never send one twice.
    """
    sent = 0
    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    else:
        # Back off: one minute after the first failure, doubling.
        pending = pending.filter(created_at__lte=timezone.now() - timedelta(minutes=1))
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
