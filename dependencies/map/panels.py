"""The side panel of a node or an objective, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone

from cataligent.audit import history_lines
from cataligent.modeling import GAP_FIELDS, row_gaps
from cataligent.people import person_fields
from dependencies.choices import State
from dependencies.graph.escalation_paths import escalation_path
from dependencies.map.blocked_since import blocked_at_least_since_of
from dependencies.map.query import KIND_LABEL
from dependencies.map.shapes import weeks_since
from dependencies.map.tables import escalation_due
from dependencies.models import Node, StateTransition
from integrations.models import ACTIVE_CATEGORIES, Ticket, TicketLink
from objectives.models import DeclaredStatus, Objective

# --- Side panel ----------------------------------------------------------------------------


TICKETS_PER_PAGE = 10


def tickets_page(
    links: QuerySet[TicketLink], page: Any = 1, *, per_page: int = TICKETS_PER_PAGE
) -> Page:
    """One page of an item's linked tickets: blocking first, then the rest of the active
    ones, then the latest of the others (two queries)."""
    active_first = Case(
        When(ticket__status_category__in=ACTIVE_CATEGORIES, then=Value(0)), default=Value(1)
    )
    rows = links.select_related("ticket__connector").order_by(
        "-ticket__is_blocking", active_first, "-ticket__updated_at", "ticket_id"
    )
    result = Paginator(rows, per_page).get_page(page)
    tickets: list[Ticket] = []
    for link in result.object_list:
        ticket = link.ticket
        ticket.link_via = link.get_via_display()  # type: ignore[attr-defined]
        tickets.append(ticket)
    result.object_list = tickets
    return result


def _named(slugs: Iterable[str]) -> list[dict[str, Any]]:
    slugs = list(slugs)
    rows = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=slugs).values(
            "slug",
            "name",
            "kind",
            "state",
            "intrinsic_state",
            "manual_state",
            "manual_reason",
            "blocked_since",
            *person_fields("owner"),
            "team__name",
            *GAP_FIELDS,
        )
    }
    return [
        rows[s] | {"kind_label": KIND_LABEL.get(rows[s]["kind"], ""), "gaps": row_gaps(rows[s])}
        for s in slugs
        if s in rows
    ]


def node_panel(
    node: Node, *, now: dt.datetime | None = None, tickets_page_number: Any = 1
) -> dict[str, Any]:
    """Everything the side panel says about a node, in a fixed number of queries."""
    now = now or timezone.now()
    depends_on = list(
        node.dependency_edges.select_related("target", "target__owner").order_by(
            "redundancy_group", "target__name"
        )
    )
    needed_by = list(
        node.dependent_edges.select_related("source", "source__owner").order_by("source__name")
    )
    required_by = list(node.required_by.select_related("objective").order_by("objective__key"))
    path = escalation_path(node)
    levels = list(path.levels)
    blocking = TicketLink.objects.filter(node=node, ticket__is_blocking=True).count()
    return {
        "kind": "node",
        "item": node,
        # "Blocked by" lists what lies beneath; its own tickets or override are told apart.
        "root_causes": _named(s for s in node.root_causes if s != node.slug),
        "depends_on": depends_on,
        "needed_by": needed_by,
        "required_by": required_by,
        "levels": levels,
        "path": path,
        "escalation": escalation_due(levels, node.blocked_since, now),
        "tickets": tickets_page(TicketLink.objects.filter(node=node), tickets_page_number),
        "blocking_ticket_count": blocking,
        "transitions": list(StateTransition.objects.filter(node=node)[:20]),
        "history": history_lines(node, limit=20),
        "weeks_blocked": weeks_since(node.blocked_since, now),
        "blocked_at_least": blocked_at_least_since_of(node),
    }


def objective_panel(objective: Objective, *, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    requirements = list(
        objective.requirements.select_related("node", "node__owner", "node__team").order_by(
            "node__name"
        )
    )
    path = escalation_path(objective)
    levels = list(path.levels)
    weeks = weeks_since(objective.blocked_since, now)
    return {
        "kind": "objective",
        "item": objective,
        "root_causes": _named(objective.root_causes),
        "requirements": requirements,
        "levels": levels,
        "path": path,
        "escalation": escalation_due(levels, objective.blocked_since, now),
        "tickets": tickets_page(TicketLink.objects.filter(objective=objective), per_page=50),
        "transitions": list(StateTransition.objects.filter(objective=objective)[:20]),
        "history": history_lines(objective, limit=20),
        "weeks_blocked": weeks,
        "blocked_at_least": blocked_at_least_since_of(objective),
        "value_lost": (objective.value_at_stake * weeks).quantize(Decimal(1)),
        "declared_mismatch": declared_mismatch(objective.declared_status, objective.state),
    }


def declared_mismatch(declared: str, computed: str) -> str:
    """A "green" declaration over a bad graph: the green-red disconnect the product exists for."""
    if declared in (DeclaredStatus.ON_TRACK, DeclaredStatus.DONE) and computed == State.BLOCKED:
        return f"Declared {DeclaredStatus(declared).label.lower()}, but the graph says blocked."
    if declared == DeclaredStatus.ON_TRACK and computed == State.DEGRADED:
        return "Declared on track, but the graph says degraded."
    return ""
