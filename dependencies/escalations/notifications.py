"""Notifications: recorded first, sent after the commit, never twice for one event.

Each message is a Notification row (one per person and channel) created in the
same transaction as the event; `delivery` sends it once the transaction has committed.
The unique constraint on (event, person, channel) means a retried pass cannot create a
second message.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dependencies.escalations.delivery import send_notifications
from dependencies.models import Escalation, Notification

log = logging.getLogger(__name__)


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
