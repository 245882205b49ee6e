"""Reads of the stored impact results: the map (API, command and pages share it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

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
    nodes, objectives = _in_view(view=view, team=team, kind=kind)
    if objective:
        objectives = objectives.filter(key=objective)
        required = Requirement.objects.filter(objective__key=objective).values_list(
            "node_id", flat=True
        )
        nodes = nodes.filter(id__in=_downstream(required))

    node_rows = _node_rows(nodes)
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
    objective_rows = _objective_rows(objectives)
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


def _node_rows(nodes: QuerySet[Node]) -> list[dict[str, Any]]:
    return list(
        nodes.order_by("slug").values(
            *NODE_MAP_FIELDS, "manual_reason", "owner__username", "escalation_policy__name"
        )
    )


def _objective_rows(objectives: QuerySet[Objective]) -> list[dict[str, Any]]:
    return list(
        objectives.order_by("key").values(
            *OBJECTIVE_MAP_FIELDS, "owner__username", "escalation_policy__name"
        )
    )


def map_changes(
    *, since: int, view: str = "affected", team: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    """What changed in the map since results version `since`, for a client holding the map
    of that version on the same graph and governance (the caller checks: `changes_since`).

    `nodes` and `objectives` are the items whose results changed since and that are in the
    view now, whole, as `map_payload` gives them; `left` names those that changed and are
    no longer in it (operational again, in the affected view); `edges` are the edges of the
    view that touch a node of `nodes` (an edge between two unchanged nodes is as it was:
    the graph's shape held). The version, value at risk, cycles and ranking are whole.

    Items changed since are found by `results_version`, which the writer sets on every row
    it writes: a scan of one column rather than a read of the whole view (at 250,000 nodes
    the affected map is 145,000 nodes and 100 MB of JSON, against a few hundred items for a
    ticket's change).
    """
    with one_snapshot(), garbage_collector_paused():
        state = impact_state()
        in_view, _ = _in_view(view=view, team=team, kind=kind)
        # Changed, whether in the view now or not: those not are the ones that left it.
        any_state, any_state_objectives = _in_view(view="all", team=team, kind=kind)
        changed_rows = _node_rows(any_state.filter(results_version__gt=since))
        shown = [row for row in changed_rows if _shown_in(view, row)]
        left_nodes = [row["slug"] for row in changed_rows if not _shown_in(view, row)]

        slug_of = {row["id"]: row["slug"] for row in shown}
        touching = list(
            Edge.objects.filter(Q(source_id__in=list(slug_of)) | Q(target_id__in=list(slug_of)))
            .order_by()
            .values_list(
                "source_id", "target_id", "criticality", "redundancy_group", "min_operational"
            )
        )
        others = {end for edge in touching for end in edge[:2]} - slug_of.keys()
        slug_of.update(in_view.filter(id__in=others).order_by().values_list("id", "slug"))
        edges = sorted(
            (
                {
                    "source": slug_of[source],
                    "target": slug_of[target],
                    "criticality": criticality,
                    "redundancy_group": group,
                    "min_operational": minimum,
                }
                for source, target, criticality, group, minimum in touching
                if source in slug_of and target in slug_of
            ),
            key=lambda e: (e["source"], e["target"]),
        )

        objective_rows = _objective_rows(any_state_objectives.filter(results_version__gt=since))
        shown_objectives = [row for row in objective_rows if _shown_in(view, row)]
        left_objectives = [row["key"] for row in objective_rows if not _shown_in(view, row)]
        requires = _requirements_of(
            Objective.objects.filter(id__in=[row["id"] for row in shown_objectives]),
            {row["id"]: row["slug"] for row in shown},
        )

        bottlenecks = stored_ranking()
        if team or kind:
            included = set(in_view.values_list("slug", flat=True))
            bottlenecks = [b for b in bottlenecks if b["node"] in included]
        return {
            "version": state.version,
            "computed_at": state.computed_at,
            "view": view,
            "changes_since": since,
            "value_at_risk": state.value_at_risk,
            "cycles": state.cycles,
            "nodes": [api_node(row, row_gaps(row)) for row in shown],
            "edges": edges,
            "objectives": [
                api_objective(row, requires.get(row["id"], []), row_gaps(row))
                for row in shown_objectives
            ],
            "left": {"nodes": left_nodes, "objectives": left_objectives},
            "bottlenecks": bottlenecks,
        }


def _in_view(
    *, view: str, team: str | None, kind: str | None
) -> tuple[QuerySet[Node], QuerySet[Objective]]:
    """The nodes and objectives a view of the map shows, with its filters (`objective=`
    aside: it follows the graph downwards). The node-kind filter is about nodes."""
    nodes, objectives = Node.objects.all(), Objective.objects.all()
    if view == "affected":
        nodes = nodes.exclude(state=State.OPERATIONAL)
        objectives = objectives.exclude(state=State.OPERATIONAL)
    if team:
        nodes = nodes.filter(team__slug=team)
        objectives = objectives.filter(team__slug=team)
    if kind:
        nodes = nodes.filter(kind=kind)
    return nodes, objectives


def _shown_in(view: str, row: dict[str, Any]) -> bool:
    """Whether a node or objective row read with its state is in `view` (filters aside)."""
    return view == "all" or row["state"] != State.OPERATIONAL
