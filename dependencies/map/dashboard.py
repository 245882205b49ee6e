"""The leadership dashboard: value at risk, blocked items, gaps, escalations, freshness."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count
from django.utils import timezone

from cataligent.modeling import OWNERSHIP_GAP
from cataligent.people import person_fields
from dependencies.choices import NodeKind, State
from dependencies.map.shapes import weeks_since
from dependencies.models import Node
from dependencies.recompute.loader import impact_state, stored_ranking
from integrations.models import Connector
from objectives.models import Objective
from objectives.selectors import update_due_at, update_overview

# --- Dashboard -----------------------------------------------------------------------------


def dashboard_summary(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    state = impact_state()
    objective_states = Counter(
        dict(
            Objective.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
        )
    )
    capability_states = Counter(
        dict(
            Node.objects.filter(kind=NodeKind.CAPABILITY)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
    )
    blocked_objectives = list(
        Objective.objects.filter(state=State.BLOCKED).values_list("value_at_stake", "blocked_since")
    )
    accumulated = sum(
        (value * weeks_since(since, now) for value, since in blocked_objectives), Decimal(0)
    )
    longest_objectives = list(
        Objective.objects.filter(state=State.BLOCKED, blocked_since__isnull=False)
        .order_by("blocked_since")
        .values("key", "title", "blocked_since", "value_at_stake", *person_fields("owner"))[:5]
    )
    longest_nodes = list(
        Node.objects.filter(state=State.BLOCKED, blocked_since__isnull=False)
        .order_by("blocked_since", "slug")
        .values("slug", "name", "kind", "blocked_since", *person_fields("owner"))[:5]
    )
    gaps = {
        "nodes": Node.objects.filter(OWNERSHIP_GAP).count(),
        "objectives": Objective.objects.filter(OWNERSHIP_GAP).count(),
        "unowned_nodes": Node.objects.filter(owner__isnull=True).count(),
        "blocked_unowned": Node.objects.filter(
            owner__isnull=True, state=State.BLOCKED, intrinsic_state__in=[State.BLOCKED]
        ).count(),
    }
    connectors = [
        {
            "name": c.name,
            "kind": c.get_kind_display(),
            "health": c.health,
            "last_success_at": c.last_success_at,
        }
        for c in Connector.objects.order_by("name").only(
            "name",
            "kind",
            "enabled",
            "last_error",
            "last_success_at",
            "last_attempt_at",
            "poll_interval",
        )
    ]
    updates = update_overview(now=now)
    overdue = updates["overdue"]
    return {
        "escalations": open_escalations(),
        "state": state,
        "value_at_risk": state.value_at_risk,
        "accumulated": accumulated.quantize(Decimal(1)),
        "objectives": {s: objective_states.get(s, 0) for s in State.values},
        "objectives_total": sum(objective_states.values()),
        "capabilities": {s: capability_states.get(s, 0) for s in State.values},
        "capabilities_total": sum(capability_states.values()),
        "longest_objectives": longest_objectives,
        "longest_nodes": longest_nodes,
        "gaps": gaps,
        "overdue": [
            {
                "key": o.key,
                "title": o.title,
                "due": update_due_at(o),
                "cadence": o.update_cadence_days,
            }
            for o in overdue[:5]
        ],
        "overdue_count": len(overdue),
        "never_updated": updates["never_updated"],
        "connectors": connectors,
        "connector_health": Counter(c["health"] for c in connectors),
        "bottleneck": _top_bottleneck(stored_ranking()),
    }


def open_escalations() -> dict[str, int] | None:
    """Escalations not resolved yet, by status; None where escalations are not recorded
    (the escalation engine is a separate part, looked up rather than imported)."""
    try:
        escalation = apps.get_model("dependencies", "Escalation")
    except LookupError:
        return None
    counts = dict(
        escalation.objects.exclude(status="resolved")
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"open": counts.get("open", 0), "acknowledged": counts.get("acknowledged", 0)}


def _top_bottleneck(ranking: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not ranking:
        return None
    top = ranking[0]
    node = Node.objects.filter(slug=top["node"]).values("name", "owner__username").first() or {}
    return top | {"name": node.get("name", top["node"]), "owner": node.get("owner__username")}
