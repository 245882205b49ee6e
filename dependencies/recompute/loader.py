"""The impact engine's loader: the graph and the stored results, from the database.

It reads everything in five queries, whatever the size of the graph (the writer is
`dependencies.recompute.writer`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from dependencies import impact
from dependencies.impact import State
from dependencies.models import Edge, ImpactState, IntrinsicChange, Node
from integrations.models import TicketLink
from objectives.models import Objective, Requirement


@dataclass
class StoredRow:
    """What the database holds for one node or objective (the engine's PreviousState)."""

    pk: int
    state: State
    blocked_since: datetime | None
    root_causes: tuple[str, ...]
    intrinsic_state: State = State.OPERATIONAL


@dataclass
class LoadedGraph:
    graph: impact.DependencyGraph
    nodes: dict[str, StoredRow] = field(default_factory=dict)
    objectives: dict[str, StoredRow] = field(default_factory=dict)


def blocking_node_ids(among: Collection[int] | None = None) -> set[int]:
    """Nodes with at least one blocking linked ticket (one query), of `among` if given."""
    links = TicketLink.objects.filter(node__isnull=False, ticket__is_blocking=True)
    if among is not None:
        links = links.filter(node_id__in=list(among))
    return set(links.values_list("node_id", flat=True).distinct())


def load_intrinsic_states(among: Collection[int] | None = None) -> dict[str, State]:
    """Nodes' intrinsic states: the manual override, else the blocking tickets (2 queries).

    Every node's, or only those whose ids are `among` (the incremental recompute's case).
    """
    if among is not None and not among:
        return {}
    blocking = blocking_node_ids(among)
    nodes = Node.objects.all() if among is None else Node.objects.filter(pk__in=list(among))
    return {
        slug: impact.intrinsic_state(manual, pk in blocking)
        for pk, slug, manual in nodes.values_list("id", "slug", "manual_state")
    }


def noted_changes(after: int, upto: int) -> set[int]:
    """The nodes noted as changed by the requests in (after, upto] (one query)."""
    return set(
        IntrinsicChange.objects.filter(requested__gt=after, requested__lte=upto)
        .values_list("node_id", flat=True)
        .distinct()
    )


def load_graph() -> LoadedGraph:
    """The whole graph as engine input, with what is stored now (five queries)."""
    blocking = blocking_node_ids()
    slugs: dict[int, str] = {}
    engine_nodes = []
    stored_nodes: dict[str, StoredRow] = {}
    rows = Node.objects.values_list(
        "id",
        "slug",
        "kind",
        "manual_state",
        "intrinsic_state",
        "state",
        "blocked_since",
        "root_causes",
    )
    for pk, slug, kind, manual, intrinsic, state, since, causes in rows.iterator(chunk_size=5000):
        slugs[pk] = slug
        engine_nodes.append(impact.Node(slug, kind, impact.intrinsic_state(manual, pk in blocking)))
        stored_nodes[slug] = StoredRow(pk, State(state), since, tuple(causes), State(intrinsic))

    engine_edges = [
        impact.Edge(slugs[source], slugs[target], impact.Criticality(crit), group or None, minimum)
        for source, target, crit, group, minimum in Edge.objects.values_list(
            "source_id", "target_id", "criticality", "redundancy_group", "min_operational"
        ).iterator(chunk_size=20000)
    ]

    requires: dict[int, list[impact.Requirement]] = {}
    for objective_id, node_id, crit in Requirement.objects.values_list(
        "objective_id", "node_id", "criticality"
    ):
        requires.setdefault(objective_id, []).append(
            impact.Requirement(slugs[node_id], impact.Criticality(crit))
        )
    engine_objectives = []
    stored_objectives: dict[str, StoredRow] = {}
    for pk, key, value, state, since, causes in Objective.objects.values_list(
        "id", "key", "value_at_stake", "state", "blocked_since", "root_causes"
    ):
        engine_objectives.append(impact.Objective(key, value, tuple(requires.get(pk, ()))))
        stored_objectives[key] = StoredRow(pk, State(state), since, tuple(causes))

    graph = impact.build_graph(engine_nodes, engine_edges, engine_objectives)
    return LoadedGraph(graph=graph, nodes=stored_nodes, objectives=stored_objectives)


def impact_state() -> ImpactState:
    """The one row that says which results are stored (made by a migration; a flushed test
    database lacks it)."""
    state, _ = ImpactState.objects.get_or_create(pk=1)
    return state
