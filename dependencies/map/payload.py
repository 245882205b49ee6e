"""Reads of the stored impact results: the map (API, command and pages share it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from cataligent.modeling import row_gaps
from cataligent.snapshot import one_snapshot
from dependencies.choices import State
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.map.query import NODE_MAP_FIELDS, OBJECTIVE_MAP_FIELDS
from dependencies.map.shapes import api_node, api_objective, reach
from dependencies.models import Edge, Node
from dependencies.recompute.loader import impact_state, stored_ranking
from objectives.models import Objective, Requirement

MAP_VIEWS = ("affected", "all")


def _downstream(start: Iterable[int]) -> set[int]:
    """Node ids reachable from `start` along depends-on edges (what those nodes rest on)."""
    adjacency: dict[int, list[int]] = {}
    for source, target in Edge.objects.values_list("source_id", "target_id").iterator(
        chunk_size=20000
    ):
        adjacency.setdefault(source, []).append(target)
    return reach(start, adjacency)


def _edges_from(nodes: QuerySet[Node]) -> Iterable[tuple[int, int, str, str, int]]:
    """Every edge leaving the nodes (source, target, criticality, group, minimum).

    On PostgreSQL the node filter runs once as an array the edges' source index is probed
    with: at 250,000 nodes, `source_id IN (subquery) AND target_id IN (subquery)` hashes
    both sides and scans every edge (0.6 s for 10,000 capabilities, against 0.05 s)."""
    if connection.vendor != "postgresql":
        return Edge.objects.filter(source_id__in=nodes.values("id")).values_list(
            "source_id", "target_id", "criticality", "redundancy_group", "min_operational"
        )
    try:
        shown, params = nodes.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # a filter that nothing can match (no node on the way)
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source_id, target_id, criticality, redundancy_group, min_operational "
            f"FROM {connection.ops.quote_name(Edge._meta.db_table)} "
            f"WHERE source_id = ANY(ARRAY({shown}))",
            params,
        )
        return cursor.fetchall()


def _requirements_of(
    objectives: QuerySet[Objective], slugs: dict[int, str]
) -> dict[int, list[dict[str, str]]]:
    """Each objective's requirements, by node slug. The slugs come from the nodes already
    read where they can (a join and sort over the node table took 0.4 s at 250,000 nodes),
    the others in one query."""
    rows = list(
        Requirement.objects.filter(objective__in=objectives.order_by().values("id"))
        .order_by()  # its default ordering joins the node and objective tables
        .values_list("objective_id", "node_id", "criticality")
    )
    missing = {node for _, node, _ in rows if node not in slugs}
    if missing:
        slugs = {**slugs, **dict(Node.objects.filter(pk__in=missing).values_list("id", "slug"))}
    requires: dict[int, list[dict[str, str]]] = {}
    for objective_id, node_id, criticality in sorted(rows, key=lambda r: slugs[r[1]]):
        requires.setdefault(objective_id, []).append(
            {"node": slugs[node_id], "criticality": criticality}
        )
    return requires


def map_payload(
    *,
    view: str = "affected",
    team: str | None = None,
    objective: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The graph with states and root causes (DESIGN §3 `map`), in a bounded number of queries.

    `affected` keeps what is not operational: affected capabilities and objectives,
    their root causes and every node on the paths between them (all of which are
    affected too, since state flows only through carrying edges).

    Read from one snapshot, so that a recompute storing meanwhile cannot mix two versions;
    built with the cyclic collector paused (at 250,000 nodes the affected map is 140,000
    nodes and 360,000 edges as dicts, none in a cycle, all dropped once rendered).
    """
    with one_snapshot(), garbage_collector_paused():
        return _map_payload(view=view, team=team, objective=objective, kind=kind)


def _map_payload(
    *, view: str, team: str | None, objective: str | None, kind: str | None
) -> dict[str, Any]:
    state = impact_state()
    nodes = Node.objects.all()
    objectives = Objective.objects.all()
    if view == "affected":
        nodes = nodes.exclude(state=State.OPERATIONAL)
        objectives = objectives.exclude(state=State.OPERATIONAL)
    if team:
        nodes = nodes.filter(team__slug=team)
        objectives = objectives.filter(team__slug=team)
    if kind:
        nodes = nodes.filter(kind=kind)
    if objective:
        objectives = objectives.filter(key=objective)
        required = Requirement.objects.filter(objective__key=objective).values_list(
            "node_id", flat=True
        )
        nodes = nodes.filter(id__in=_downstream(required))

    node_rows = list(
        nodes.order_by("slug").values(
            *NODE_MAP_FIELDS, "manual_reason", "owner__username", "escalation_policy__name"
        )
    )
    # The edges between the nodes shown, ordered as the nodes are (by slug) from their
    # positions rather than by a join and sort in SQL.
    position = {row["id"]: i for i, row in enumerate(node_rows)}
    edges = sorted(
        (edge for edge in _edges_from(nodes) if edge[1] in position),
        key=lambda e: (position[e[0]], position[e[1]]),
    )
    edge_rows = [
        {
            "source": node_rows[position[source]]["slug"],
            "target": node_rows[position[target]]["slug"],
            "criticality": criticality,
            "redundancy_group": group,
            "min_operational": minimum,
        }
        for source, target, criticality, group, minimum in edges
    ]
    objective_rows = list(
        objectives.order_by("key").values(
            *OBJECTIVE_MAP_FIELDS, "owner__username", "escalation_policy__name"
        )
    )
    requires = _requirements_of(objectives, {row["id"]: row["slug"] for row in node_rows})

    bottlenecks = stored_ranking()
    if team or objective or kind:
        included = {row["slug"] for row in node_rows}
        bottlenecks = [b for b in bottlenecks if b["node"] in included]
    return {
        "version": state.version,
        "computed_at": state.computed_at,
        "view": view,
        "value_at_risk": state.value_at_risk,
        "cycles": state.cycles,
        "nodes": [api_node(row, row_gaps(row)) for row in node_rows],
        "edges": edge_rows,
        "objectives": [
            api_objective(row, requires.get(row["id"], []), row_gaps(row)) for row in objective_rows
        ],
        "bottlenecks": bottlenecks,
    }
