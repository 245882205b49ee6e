"""Full and incremental impact computation, blocked-since and the bottleneck ranking.

    graph = build_graph(nodes, edges, objectives)
    result = compute_impact(graph, now=now, previous_nodes=stored_nodes)
    update = update_impact(result, now=later, intrinsic={"core-banking-api": State.BLOCKED})

The rules themselves live in `propagation`; this module turns its ints and bitsets into
results and keeps blocked-since across runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.impact.graph import DependencyGraph
from dependencies.impact.model import (
    Bottleneck,
    Edge,
    NodeResult,
    ObjectiveResult,
    PreviousState,
    Requirement,
    State,
)
from dependencies.impact.propagation import BLOCKED, STATES, Propagation

__all__ = [
    "ImpactResult",
    "ImpactUpdate",
    "compute_impact",
    "next_blocked_since",
    "update_impact",
]


def next_blocked_since(
    state: State, previous: PreviousState | None, now: datetime
) -> datetime | None:
    """When an item that is now in `state` became blocked (DESIGN §2.6).

    Kept while the item stays blocked, `now` when it has just become blocked, cleared as
    soon as it is no longer blocked (so a later blockage starts a new count).
    """
    if state != State.BLOCKED:
        return None
    if previous is not None and previous.state == State.BLOCKED and previous.blocked_since:
        return previous.blocked_since
    return now


class ImpactResult:
    """Effective state, root causes and blocked-since of every node and objective.

    Never changed after it is made: incremental updates and what-if scenarios return new
    results and leave this one as it was.
    """

    def __init__(
        self,
        *,
        propagation: Propagation,
        computed_at: datetime,
        nodes: dict[str, NodeResult],
        objectives: dict[str, ObjectiveResult],
    ) -> None:
        self.propagation = propagation  # the engine's working state, for derived results
        self.computed_at = computed_at
        self._nodes = nodes
        self._objectives = objectives

    @property
    def graph(self) -> DependencyGraph:
        return self.propagation.graph

    @property
    def nodes(self) -> Mapping[str, NodeResult]:
        return self._nodes

    @property
    def objectives(self) -> Mapping[str, ObjectiveResult]:
        return self._objectives

    @property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """The dependency cycles, each as its sorted node slugs."""
        return self.graph.cycles

    @property
    def forced(self) -> Mapping[str, State]:
        """Nodes whose state a what-if scenario fixed (empty for a real result)."""
        slugs = self.graph.slugs
        return {slugs[v]: STATES[state] for v, state in self.propagation.forced.items()}

    @cached_property
    def value_at_risk(self) -> Decimal:
        """Value at stake per week of all blocked objectives."""
        return sum(
            (o.value_at_stake for o in self._objectives.values() if o.state == State.BLOCKED),
            Decimal(0),
        )

    @cached_property
    def bottlenecks(self) -> tuple[Bottleneck, ...]:
        """Root causes with what they block, most value at risk first (DESIGN §2.7).

        For each root cause R: the blocked capabilities and blocked objectives that have R
        among their root causes, and the sum of those objectives' value at stake per week.
        Sorted by that value (descending), then by number of objectives (descending), then
        by slug.
        """
        capabilities: defaultdict[str, list[str]] = defaultdict(list)
        objectives: defaultdict[str, list[str]] = defaultdict(list)
        value: defaultdict[str, Decimal] = defaultdict(Decimal)
        for node in self._nodes.values():
            if node.kind == "capability" and node.state == State.BLOCKED:
                for cause in node.root_causes:
                    capabilities[cause].append(node.slug)
        for objective in self._objectives.values():
            if objective.state == State.BLOCKED:
                for cause in objective.root_causes:
                    objectives[cause].append(objective.key)
                    value[cause] += objective.value_at_stake
        ranking = [
            Bottleneck(
                node=cause,
                capabilities=tuple(sorted(capabilities[cause])),
                objectives=tuple(sorted(objectives[cause])),
                value_at_risk=value[cause],
            )
            for cause in capabilities.keys() | objectives.keys()
        ]
        ranking.sort(key=lambda b: (-b.value_at_risk, -len(b.objectives), b.node))
        return tuple(ranking)

    def item(self, vertex: int) -> NodeResult | ObjectiveResult:
        """The result of a vertex of `graph`."""
        slug = self.graph.slugs[vertex]
        if self.graph.is_objective(vertex):
            return self._objectives[slug]
        return self._nodes[slug]


@dataclass(frozen=True)
class ImpactUpdate:
    """An incremental update: the new result and the items whose result changed.

    `full_recompute` says whether the change touched the graph's shape in a way that needed
    a new evaluation order (e.g. a new cycle), so everything was evaluated again.
    """

    result: ImpactResult
    changed_nodes: tuple[str, ...]
    changed_objectives: tuple[str, ...]
    full_recompute: bool


def compute_impact(
    graph: DependencyGraph,
    *,
    now: datetime,
    previous_nodes: Mapping[str, PreviousState] | None = None,
    previous_objectives: Mapping[str, PreviousState] | None = None,
) -> ImpactResult:
    """Evaluate the whole graph.

    `previous_*` (stored rows or an earlier result's `nodes` / `objectives`) only feed
    blocked-since; items missing from them count as not blocked before.
    """
    with garbage_collector_paused():
        propagation = Propagation.start(graph, list(graph.intrinsic), {})
        propagation.run_all()
        return _result_of(propagation, now, previous_nodes or {}, previous_objectives or {})


def update_impact(
    result: ImpactResult,
    *,
    now: datetime,
    intrinsic: Mapping[str, State] | None = None,
    dependencies: Mapping[str, Sequence[Edge]] | None = None,
    requirements: Mapping[str, Sequence[Requirement]] | None = None,
) -> ImpactUpdate:
    """The result a full recompute would give after these changes, recomputing only what
    depends on them.

    `intrinsic` maps node slugs to their new intrinsic state; `dependencies` maps a node slug
    to *all* its edges after the change; `requirements` maps an objective key to all its
    requirements. Nodes and objectives added or deleted need `build_graph` and a full
    `compute_impact` instead.
    """
    graph, order_kept = result.graph.with_inputs(
        dependencies=dependencies, requirements=requirements
    )
    old = result.propagation
    new_intrinsic: dict[int, int] = {}
    for slug, state in (intrinsic or {}).items():
        vertex = graph.vertex(slug)
        if old.intrinsic[vertex] != state:
            new_intrinsic[vertex] = int(state)

    with garbage_collector_paused():
        propagation = old.fork(graph=graph, intrinsic=new_intrinsic)
        candidates: Iterable[int]
        if order_kept:
            rewired = {graph.vertex(slug) for slug in dependencies or {}}
            rewired.update(graph.objective_index[key] for key in requirements or {})
            changed = propagation.run_from(new_intrinsic.keys() | rewired)
            # A vertex whose own intrinsic state changed has a new result even when its
            # effective state and root causes stayed the same.
            candidates = changed | new_intrinsic.keys()
            updated = derived_result(result, propagation, candidates, now)
        else:
            # A cycle appeared or split: evaluate everything in the new order.
            propagation.run_all()
            updated = _result_of(propagation, now, result.nodes, result.objectives)
            candidates = range(graph.vertex_count)

    changed_nodes: list[str] = []
    changed_objectives: list[str] = []
    for vertex in candidates:
        if updated.item(vertex) != result.item(vertex):
            is_objective = graph.is_objective(vertex)
            (changed_objectives if is_objective else changed_nodes).append(graph.slugs[vertex])
    return ImpactUpdate(
        result=updated,
        changed_nodes=tuple(sorted(changed_nodes)),
        changed_objectives=tuple(sorted(changed_objectives)),
        full_recompute=not order_kept,
    )


def _result_of(
    propagation: Propagation,
    now: datetime,
    previous_nodes: Mapping[str, PreviousState],
    previous_objectives: Mapping[str, PreviousState],
) -> ImpactResult:
    """Results for every vertex."""
    nodes: dict[str, NodeResult] = {}
    objectives: dict[str, ObjectiveResult] = {}
    _fill(
        propagation,
        range(propagation.graph.vertex_count),
        now,
        previous_nodes,
        previous_objectives,
        nodes,
        objectives,
    )
    return ImpactResult(
        propagation=propagation, computed_at=now, nodes=nodes, objectives=objectives
    )


def derived_result(
    base: ImpactResult, propagation: Propagation, vertices: Iterable[int], now: datetime
) -> ImpactResult:
    """`base` with the results of `vertices` replaced; blocked-since continues from `base`."""
    nodes = dict(base.nodes)
    objectives = dict(base.objectives)
    _fill(propagation, vertices, now, base.nodes, base.objectives, nodes, objectives)
    return ImpactResult(
        propagation=propagation, computed_at=now, nodes=nodes, objectives=objectives
    )


def _fill(
    propagation: Propagation,
    vertices: Iterable[int],
    now: datetime,
    previous_nodes: Mapping[str, PreviousState],
    previous_objectives: Mapping[str, PreviousState],
    nodes: dict[str, NodeResult],
    objectives: dict[str, ObjectiveResult],
) -> None:
    graph = propagation.graph
    slugs, kinds, node_count = graph.slugs, graph.kinds, graph.node_count
    states, causes, intrinsic = propagation.states, propagation.causes, propagation.intrinsic
    decode = propagation.cause_index.decode
    for vertex in vertices:
        slug = slugs[vertex]
        state = STATES[states[vertex]]
        since = None
        if states[vertex] == BLOCKED:
            previous = (previous_objectives if vertex >= node_count else previous_nodes).get(slug)
            since = next_blocked_since(state, previous, now)
        if vertex < node_count:
            nodes[slug] = NodeResult(
                slug,
                kinds[vertex],
                STATES[intrinsic[vertex]],
                state,
                decode(causes[vertex]),
                since,
            )
        else:
            objectives[slug] = ObjectiveResult(
                slug, graph.values[vertex - node_count], state, decode(causes[vertex]), since
            )
