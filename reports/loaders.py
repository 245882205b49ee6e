"""Bounded reads the reports share: each a fixed number of queries, whatever the size.

The reports combine the graph, the links and the state history in Python (pure modules
`support` and `history`); these functions are the only place they touch the database for
that, so a query-count test of one report covers them all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from dependencies.map.drawing import result_cache
from dependencies.models import Edge, Node, StateTransition
from dependencies.recompute.loader import impact_state
from integrations.models import Ticket, TicketLink
from objectives.models import Objective, Requirement
from reports.support import SupportGraph

# ("node", id) or ("objective", id)
ItemRef = tuple[str, int]
Transition = tuple[dt.datetime, str, str]


def fetch(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A `values_list` query's rows in one round trip, as the driver returns them: no
    per-row work in Django (on 100,000 rows that costs more than the query). Only for
    columns that need no conversion: integers, text, and what the SQL computed from them."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def moment(value: Any) -> dt.datetime | None:
    """A timestamp column from `fetch`: PostgreSQL gives aware datetimes, SQLite UTC text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def structure_key() -> tuple[Any, ...]:
    """Changes whenever what lies above what can have changed: the impact structure counter
    (every change of a node, edge, requirement or objective bumps it) and the newest edge,
    requirement, node and objective. Not the recompute: a ticket that moves a state does not
    change the graph's shape. Five reads of a primary key or one row."""
    newest = tuple(
        model.objects.order_by("-id").values_list("id", flat=True).first()
        for model in (Edge, Requirement, Node, Objective)
    )
    return (impact_state().structure, *newest)


def support_graph(structure: tuple[Any, ...] | None = None) -> SupportGraph:
    """The whole graph read upwards: two queries of two integer columns each, without the
    edges' default ordering (a sort of every edge by two joined slugs). Kept per process
    while `structure_key` holds (pass it when it was just read): at 250,000 nodes the read
    alone takes seconds."""
    return result_cache.get_or_make(
        ("support-graph", *(structure or structure_key())),
        lambda: SupportGraph.build(
            fetch(Edge.objects.order_by().values_list("source_id", "target_id")),
            fetch(Requirement.objects.order_by().values_list("objective_id", "node_id")),
        ),
    )


def ticket_links(
    tickets: QuerySet[Ticket] | None = None,
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """ticket id -> linked node ids, ticket id -> linked objective ids (one query).

    `tickets` narrows the read to those tickets (as a subquery, never a list of ids).
    """
    links = TicketLink.objects.all()
    if tickets is not None:
        links = links.filter(ticket__in=tickets.values("pk"))
    to_nodes: dict[int, set[int]] = defaultdict(set)
    to_objectives: dict[int, set[int]] = defaultdict(set)
    for ticket_id, node_id, objective_id in links.values_list(
        "ticket_id", "node_id", "objective_id"
    ).iterator(chunk_size=10_000):
        if node_id is not None:
            to_nodes[ticket_id].add(node_id)
        if objective_id is not None:
            to_objectives[ticket_id].add(objective_id)
    return to_nodes, to_objectives


def transitions_until(end: dt.datetime) -> dict[ItemRef, list[Transition]]:
    """Every item's state history up to `end`, oldest first (one query)."""
    history: dict[ItemRef, list[Transition]] = defaultdict(list)
    rows = (
        StateTransition.objects.filter(at__lt=end)
        .order_by("at", "id")
        .values_list("node_id", "objective_id", "at", "from_state", "to_state")
    )
    for node_id, objective_id, at, from_state, to_state in rows.iterator(chunk_size=10_000):
        ref: ItemRef = ("node", node_id) if node_id is not None else ("objective", objective_id)
        history[ref].append((at, from_state, to_state))
    return history
