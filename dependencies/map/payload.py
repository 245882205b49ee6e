"""Reads of the stored impact results: the map (API, command and pages share it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cataligent.modeling import row_gaps
from dependencies.choices import State
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
    """
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
    # The edges between the nodes shown: the node filter again as a subquery (a list of
    # tens of thousands of ids costs more to send than the join), ordered as the nodes are
    # (by slug) from their positions rather than by a join and sort in SQL.
    position = {row["id"]: i for i, row in enumerate(node_rows)}
    shown = nodes.values("id")
    edges = sorted(
        Edge.objects.filter(source_id__in=shown, target_id__in=shown).values_list(
            "source_id", "target_id", "criticality", "redundancy_group", "min_operational"
        ),
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
    requires: dict[int, list[dict[str, str]]] = {}
    for objective_id, slug, criticality in (
        Requirement.objects.filter(objective_id__in=[o["id"] for o in objective_rows])
        .order_by("node__slug")
        .values_list("objective_id", "node__slug", "criticality")
    ):
        requires.setdefault(objective_id, []).append({"node": slug, "criticality": criticality})

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
