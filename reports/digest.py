"""The weekly leadership digest (DESIGN §2): one e-mail a week to everyone in `leadership`,
and the same content at /reports/digest/.

It lists the top bottlenecks by value (with owner and escalation level), the disconnects new
this week (not one the week before), the ownership gaps new this week (items created, or whose
owner, team or escalation policy changed, this week; the audit log says when), open
escalations, overdue status updates, and the spend on blocked items.

Sent through the notification outbox, which sends each event once per person and channel:
the event key names the ISO week, so however many workers or beats run the task, each leader
gets one digest a week. Links are absolute, from SITE_URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cataligent.modeling import OWNERSHIP_GAP
from cataligent.models import AuditEntry
from cataligent.roles import Role
from dependencies.escalations.notifications import record_notifications
from dependencies.models import Escalation, Node, Notification
from dependencies.recompute.loader import stored_ranking
from objectives.models import Objective
from objectives.selectors import objectives_update_overdue, update_due_at
from reports import spend
from reports.disconnects import disconnects
from reports.window import Window

TOP = 10


def _url(path: str) -> str:
    return settings.SITE_URL + path


def _node_url(slug: str) -> str:
    return _url(reverse("node-detail", args=[slug]))


def _objective_url(key: str) -> str:
    return _url(reverse("objective-detail", args=[key]))


def week_key(now: dt.datetime) -> str:
    year, week, _ = timezone.localtime(now).isocalendar()
    return f"{year}-W{week:02d}"


def digest_due_at(now: dt.datetime) -> dt.datetime:
    """This ISO week's digest moment: DIGEST_WEEKDAY at DIGEST_HOUR, in TIME_ZONE."""
    local = timezone.localtime(now)
    monday = local.date() - dt.timedelta(days=local.isoweekday() - 1)
    day = monday + dt.timedelta(days=settings.DIGEST_WEEKDAY - 1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(settings.DIGEST_HOUR)))


@dataclass
class Digest:
    week: str
    start: dt.datetime
    end: dt.datetime
    currency: str
    bottlenecks: list[dict[str, Any]] = field(default_factory=list)
    disconnects: list[dict[str, Any]] = field(default_factory=list)
    new_gaps: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    spend_totals: dict[str, str] = field(default_factory=dict)
    spend_top: list[dict[str, Any]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


def build_digest(now: dt.datetime | None = None) -> Digest:
    now = now or timezone.now()
    week = Window(start=now - dt.timedelta(days=7), end=now)
    before = Window(start=now - dt.timedelta(days=14), end=week.start)
    digest = Digest(week=week_key(now), start=week.start, end=now, currency=settings.CURRENCY)
    digest.links = {
        "digest": _url(reverse("reports:digest")),
        "bottlenecks": _url(reverse("bottlenecks")),
        "gaps": _url(reverse("ownership-gaps")),
        "escalations": _url(reverse("escalation-inbox")),
        "objectives": _url(reverse("objective-list")),
        "spend": _url(reverse("reports:detail", args=["spend"])),
        "green_red": _url(reverse("reports:detail", args=["green-red"])),
    }
    digest.bottlenecks = _bottlenecks()
    digest.disconnects = _new_disconnects(week, before)
    digest.new_gaps = _new_gaps(week.start)
    digest.escalations = _open_escalations()
    digest.overdue = [
        {
            "key": o.key,
            "title": o.title,
            "owner": o.owner.username if o.owner else None,
            "due": update_due_at(o),
            "url": _objective_url(o.key),
        }
        for o in objectives_update_overdue(now=now)[:TOP]
    ]
    result = spend.build(week)
    digest.spend_totals = result["totals"]
    digest.spend_top = [
        {**item, "url": _objective_url(item["key"]) if item["key"] else _node_url(item["slug"])}
        for item in result["top_friction"][:5]
        if Decimal(item["spend_on_blocked"]) > 0
    ]
    return digest


def _bottlenecks() -> list[dict[str, Any]]:
    ranking = stored_ranking()[:TOP]
    slugs = [b["node"] for b in ranking]
    nodes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=slugs).values(
            "slug", "name", "owner__username", "team__name"
        )
    }
    levels = dict(
        Escalation.objects.filter(node__slug__in=slugs)
        .exclude(status="resolved")
        .values_list("node__slug")
        .annotate(level=Max("level"))
        .values_list("node__slug", "level")
    )
    return [
        {
            "slug": b["node"],
            "name": nodes.get(b["node"], {}).get("name", b["node"]),
            "owner": nodes.get(b["node"], {}).get("owner__username"),
            "team": nodes.get(b["node"], {}).get("team__name"),
            "value_at_risk": Decimal(b["value_at_risk"]),
            "objectives": len(b["objectives"]),
            "capabilities": len(b["capabilities"]),
            "escalation_level": levels.get(b["node"]),
            "url": _node_url(b["node"]),
        }
        for b in ranking
    ]


def _new_disconnects(week: Window, before: Window) -> list[dict[str, Any]]:
    def ident(item: dict[str, Any]) -> tuple[str, str]:
        return (item["kind"], item.get("slug") or item.get("key") or "")

    earlier = {ident(item) for item in disconnects(before)}
    return [
        {
            **item,
            "url": _node_url(item["slug"])
            if item["kind"] == "node"
            else _objective_url(item["key"]),
        }
        for item in disconnects(week)
        if ident(item) not in earlier
    ][:TOP]


def _new_gaps(since: dt.datetime) -> list[dict[str, Any]]:
    """Items that are ownership gaps now and became one this week: created this week, or their
    owner, team or escalation policy changed this week (the audit log says when)."""
    ownership = ("owner", "team", "escalation_policy")
    changed: dict[type, set[str]] = {}
    for model in (Node, Objective):
        changed[model] = set(
            AuditEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                at__gte=since,
                field__in=ownership,
            ).values_list("object_id", flat=True)
        )

    def recent(model: type) -> Q:
        ids = [int(pk) for pk in changed[model] if pk.isdigit()]
        return Q(created_at__gte=since) | Q(pk__in=ids)

    gaps = []
    nodes = Node.objects.filter(OWNERSHIP_GAP).filter(recent(Node)).select_related("team")
    for node in nodes.order_by("slug")[:TOP]:
        gaps.append(
            {
                "label": node.name,
                "kind": node.get_kind_display(),
                "missing": _missing(node),
                "url": _node_url(node.slug),
            }
        )
    objectives = (
        Objective.objects.filter(OWNERSHIP_GAP).filter(recent(Objective)).select_related("team")
    )
    for objective in objectives.order_by("key")[:TOP]:
        gaps.append(
            {
                "label": f"{objective.key} {objective.title}",
                "kind": "Objective",
                "missing": _missing(objective),
                "url": _objective_url(objective.key),
            }
        )
    return gaps


def _missing(item: Any) -> str:
    return ", ".join(item.ownership_gaps)


def _open_escalations() -> list[dict[str, Any]]:
    rows = (
        Escalation.objects.exclude(status="resolved")
        .select_related("node", "objective")
        .order_by("-level", "fired_at")[:TOP]
    )
    return [
        {
            "item": e.node.name if e.node_id else f"{e.objective.key} {e.objective.title}",  # type: ignore[union-attr]
            "level": e.level,
            "target": e.target_display,
            "fired_at": e.fired_at,
            "status": e.get_status_display(),
            "url": _node_url(e.node.slug) if e.node_id else _objective_url(e.objective.key),  # type: ignore[union-attr]
        }
        for e in rows
    ]


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """(subject, text, html) of the e-mail."""
    context = {"digest": digest}
    subject = f"[Cataligent] Leadership digest, week {digest.week}"
    return (
        subject,
        render_to_string("notifications/leadership_digest.txt", context),
        render_to_string("notifications/leadership_digest.html", context),
    )


def leadership() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=Role.LEADERSHIP.value, is_active=True)
        .order_by("pk")
        .distinct()
    )


def digest_send(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Record this week's digest for each leader (once per ISO week); returns how many new.

    Before the week's digest moment nothing is sent unless `force`.
    """
    now = now or timezone.now()
    if not force and now < digest_due_at(now):
        return 0
    key = f"leadership-digest:{week_key(now)}"
    sent = set(Notification.objects.filter(event_key=key).values_list("recipient_id", "channel"))
    recipients = [
        (person, channel)
        for person in leadership()
        for channel in (Notification.Channel.INBOX, Notification.Channel.EMAIL)
        if (person.pk, channel) not in sent
        and (channel == Notification.Channel.INBOX or person.email)
    ]
    if not recipients:
        return 0  # everyone has this week's digest: nothing to compute
    subject, text, html = render_digest(build_digest(now))
    link = _url(reverse("reports:digest"))
    rows = [
        Notification(
            recipient=person,
            channel=channel,
            event=Notification.Event.LEADERSHIP_DIGEST,
            event_key=key,
            subject=subject,
            body=text,
            html=html if channel == Notification.Channel.EMAIL else "",
            link=link,
            status=Notification.Status.SENT
            if channel == Notification.Channel.INBOX
            else Notification.Status.PENDING,
            sent_at=now if channel == Notification.Channel.INBOX else None,
        )
        for person, channel in recipients
    ]
    with transaction.atomic():
        created = record_notifications(rows)
    return sum(1 for row in rows if row.pk in created and row.channel == Notification.Channel.EMAIL)
