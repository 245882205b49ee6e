"""A team's page (issue 18, item 8): what one team owns and what needs its lead now — its
items and their states, its ownership gaps, open escalations on its items and overdue
status updates. Reads only; a fixed number of queries whatever the team owns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from cataligent.models import Team
from dependencies.choices import State
from dependencies.escalations.gaps import Gap, ownership_gaps
from dependencies.models import Escalation, EscalationStatus, Node
from objectives.models import Objective
from objectives.selectors import is_update_overdue, update_due_at, with_latest_update

ITEMS_PER_PAGE = 50
# The worst first: what is blocked is what the lead acts on today.
WORST_FIRST = Case(
    When(state=State.BLOCKED, then=Value(0)),
    When(state=State.DEGRADED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass
class TeamOverview:
    team: Team
    objectives: Page
    nodes: Page
    counts: dict[str, int]
    gaps: list[Gap]
    escalations: list[Escalation]
    overdue: list[Objective]


def teams_with_counts() -> QuerySet[Team]:
    """Every team with what it owns and how much of it is blocked (one query)."""
    return (
        Team.objects.select_related("lead")
        .annotate(
            node_count=Count("nodes", distinct=True),
            blocked_nodes=Count("nodes", filter=Q(nodes__state=State.BLOCKED), distinct=True),
            objective_count=Count("objectives", distinct=True),
            blocked_objectives=Count(
                "objectives", filter=Q(objectives__state=State.BLOCKED), distinct=True
            ),
        )
        .order_by("name")
    )


def team_overview(
    team: Team,
    *,
    objective_page: Any = 1,
    node_page: Any = 1,
    now: dt.datetime | None = None,
) -> TeamOverview:
    now = now or timezone.now()
    objectives = with_latest_update(
        Objective.objects.filter(team=team).select_related("owner", "period")
    ).order_by(WORST_FIRST, "key")
    nodes = (
        Node.objects.filter(team=team)
        .select_related("owner", "escalation_policy")
        .order_by(WORST_FIRST, "name")
    )
    counts = nodes.aggregate(
        nodes=Count("id"), blocked=Count("id", filter=Q(state=State.BLOCKED))
    ) | objectives.aggregate(
        objectives=Count("id"), blocked_objectives=Count("id", filter=Q(state=State.BLOCKED))
    )
    open_objectives = with_latest_update(
        Objective.objects.filter(team=team).exclude(declared_status="done").select_related("owner")
    )
    overdue = [o for o in open_objectives if is_update_overdue(o, now=now)]
    overdue.sort(key=lambda o: update_due_at(o) or o.created_at)
    escalations = list(
        Escalation.objects.filter(Q(node__team=team) | Q(objective__team=team))
        .exclude(status=EscalationStatus.RESOLVED)
        .select_related("node", "objective", "acknowledged_by")
        .order_by("-fired_at", "-id")[:50]
    )
    return TeamOverview(
        team=team,
        objectives=Paginator(objectives, ITEMS_PER_PAGE).get_page(objective_page),
        nodes=Paginator(nodes, ITEMS_PER_PAGE).get_page(node_page),
        counts=counts,
        gaps=ownership_gaps(team=team.slug),
        escalations=escalations,
        overdue=overdue,
    )
