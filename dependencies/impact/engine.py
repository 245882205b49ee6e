"""Full and incremental impact computation, blocked-since and the bottleneck ranking.

    graph = build_graph(nodes, edges, objectives)
    result = compute_impact(graph, now=now, previous_nodes=stored_nodes)
    update = update_impact(result, now=later, intrinsic={"core-banking-api": State.BLOCKED})

The rules themselves live in `propagation`; this module turns its ints and bitsets into
results and keeps blocked-since across runs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from dependencies.impact.bottlenecks import Ranking
from dependencies.impact.gc_pause import collected_as_long_lived
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

    The engine keeps states, root-cause bitsets and blocked-since in lists by vertex;
    `nodes` and `objectives` are read-only mappings that make each `NodeResult` or
    `ObjectiveResult` when it is looked up. A what-if that changes a few thousand items of a
    250,000-node graph then costs what those items cost, not a copy of every result.
    """

    def __init__(
        self,
        *,
        propagation: Propagation,
        computed_at: datetime,
        blocked_since: list[datetime | None],
        derived_from: tuple[ImpactResult, Collection[int]] | None = None,
    ) -> None:
        self.propagation = propagation  # the engine's working state, for derived results
        self.computed_at = computed_at
        self.blocked_since = blocked_since  # by vertex; None unless blocked
        # (base result, the vertices whose results may differ from it), until `ranking`.
        self._derived_from = derived_from

    @property
    def graph(self) -> DependencyGraph:
        return self.propagation.graph

    # Views made on each access, not cached: a cached view would point back at its result,
    # a reference cycle that only the cyclic collector frees (a whole graph's worth of
    # memory, and the full pass holds that collector off). A worker drops its previous
    # result on every ticket change; refcounting frees it at once, whole.
    @property
    def nodes(self) -> Mapping[str, NodeResult]:
        return _NodeResults(self)

    @property
    def objectives(self) -> Mapping[str, ObjectiveResult]:
        return _ObjectiveResults(self)

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
        graph, states = self.graph, self.propagation.states
        node_count = graph.node_count
        return sum(
            (
                value
                for value, state in zip(graph.values, states[node_count:], strict=True)
                if state == BLOCKED
            ),
            Decimal(0),
        )

    @cached_property
    def ranking(self) -> Ranking:
        """The bottleneck ranking with what it was made from (dependencies.impact.bottlenecks).

        A result derived from another (an incremental update, a what-if scenario) updates
        its base's ranking, if that one was made, from the items that changed.
        """
        derived_from, self._derived_from = self._derived_from, None  # no chains of bases
        if derived_from is not None:
            base, vertices = derived_from
            if "ranking" in base.__dict__:
                return base.ranking.updated(base.propagation, self.propagation, vertices)
        return Ranking.of(self.propagation)

    @property
    def bottlenecks(self) -> tuple[Bottleneck, ...]:
        """Root causes with what they block, most value at risk first (DESIGN §2.7).

        For each root cause R: the blocked capabilities and blocked objectives that have R
        among their root causes, and the sum of those objectives' value at stake per week.
        Sorted by that value (descending), then by number of objectives (descending), then
        by slug.
        """
        return self.ranking.ranked

    def item(self, vertex: int) -> NodeResult | ObjectiveResult:
        """The result of a vertex of `graph`."""
        if self.graph.is_objective(vertex):
            return self.objective_result(vertex)
        return self.node_result(vertex)

    def node_result(self, vertex: int) -> NodeResult:
        graph, propagation = self.graph, self.propagation
        return NodeResult(
            graph.slugs[vertex],
            graph.kinds[vertex],
            STATES[propagation.intrinsic[vertex]],
            STATES[propagation.states[vertex]],
            propagation.cause_index.decode(propagation.causes[vertex]),
            self.blocked_since[vertex],
        )

    def node_values(self) -> Iterator[NodeResult]:
        """Every node's result in vertex order: `nodes.values()` without a lookup by slug
        per node (a writer comparing 250,000 stored rows)."""
        graph, propagation = self.graph, self.propagation
        decode = propagation.cause_index.decode
        return map(
            NodeResult,
            graph.slugs[: graph.node_count],
            graph.kinds[: graph.node_count],
            map(STATES.__getitem__, propagation.intrinsic[: graph.node_count]),
            map(STATES.__getitem__, propagation.states[: graph.node_count]),
            map(decode, propagation.causes[: graph.node_count]),
            self.blocked_since[: graph.node_count],
        )

    def node_columns(
        self,
    ) -> tuple[list[State], list[State], list[tuple[str, ...]], list[datetime | None]]:
        """Every node's intrinsic state, state, root causes and blocked-since, a list each
        in vertex order: made in C but for the first decoding of each distinct set of root
        causes, so that a writer can compare 250,000 stored rows a column at a time."""
        graph, propagation = self.graph, self.propagation
        count = graph.node_count
        decoded = _Decoded(propagation.cause_index.decode)
        return (
            list(map(STATES.__getitem__, propagation.intrinsic[:count])),
            list(map(STATES.__getitem__, propagation.states[:count])),
            list(map(decoded.__getitem__, propagation.causes[:count])),
            self.blocked_since[:count],
        )

    def objective_result(self, vertex: int) -> ObjectiveResult:
        graph, propagation = self.graph, self.propagation
        return ObjectiveResult(
            graph.slugs[vertex],
            graph.values[vertex - graph.node_count],
            STATES[propagation.states[vertex]],
            propagation.cause_index.decode(propagation.causes[vertex]),
            self.blocked_since[vertex],
        )


class _Decoded(dict):  # type: ignore[type-arg]
    """Root-cause bitsets to slugs, decoded once per distinct bitset."""

    def __init__(self, decode: Callable[[int], tuple[str, ...]]) -> None:
        super().__init__()
        self._decode = decode

    def __missing__(self, bits: int) -> tuple[str, ...]:
        slugs = self[bits] = self._decode(bits)
        return slugs


class _NodeResults(Mapping[str, NodeResult]):
    """`ImpactResult.nodes`: each result made when it is looked up, in input order."""

    __slots__ = ("_result",)

    def __init__(self, result: ImpactResult) -> None:
        self._result = result

    def __getitem__(self, slug: str) -> NodeResult:
        return self._result.node_result(self._result.graph.node_index[slug])

    def __contains__(self, slug: object) -> bool:
        return slug in self._result.graph.node_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._result.graph.node_index)

    def __len__(self) -> int:
        return self._result.graph.node_count

    def __repr__(self) -> str:
        return f"<{len(self)} node results>"


class _ObjectiveResults(Mapping[str, ObjectiveResult]):
    """`ImpactResult.objectives`, made on lookup like the node results."""

    __slots__ = ("_result",)

    def __init__(self, result: ImpactResult) -> None:
        self._result = result

    def __getitem__(self, key: str) -> ObjectiveResult:
        return self._result.objective_result(self._result.graph.objective_index[key])

    def __contains__(self, key: object) -> bool:
        return key in self._result.graph.objective_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._result.graph.objective_index)

    def __len__(self) -> int:
        return len(self._result.graph.objective_index)

    def __repr__(self) -> str:
        return f"<{len(self)} objective results>"


@dataclass(frozen=True)
class ImpactUpdate:
    """An incremental update: the new result and the items whose result changed.

    `full_recompute` says whether the change touched the graph's shape in a way that needed
    a new evaluation order (e.g. a new cycle), so everything was evaluated again.
    `changed_vertices` are the same items as vertices of `result.graph`, in vertex order:
    a writer reads their results from the engine's lists without a lookup by slug.
    """

    result: ImpactResult
    changed_nodes: tuple[str, ...]
    changed_objectives: tuple[str, ...]
    full_recompute: bool
    changed_vertices: tuple[int, ...] = ()


def compute_impact(
    graph: DependencyGraph,
    *,
    now: datetime,
    previous_nodes: Mapping[str, PreviousState] | None = None,
    previous_objectives: Mapping[str, PreviousState] | None = None,
    kept_node_since: Sequence[datetime | None] | None = None,
) -> ImpactResult:
    """Evaluate the whole graph.

    `previous_*` (stored rows or an earlier result's `nodes` / `objectives`) only feed
    blocked-since; items missing from them count as not blocked before.
    `kept_node_since`, in place of `previous_nodes`, gives it by node vertex: when the node
    became blocked if it was blocked before, else None (a loader's column: no lookup by
    slug for each of 150,000 blocked nodes).
    """
    if kept_node_since is not None and len(kept_node_since) != graph.node_count:
        raise ValueError("kept_node_since needs one entry per node")
    with collected_as_long_lived():  # the result is kept
        propagation = Propagation.start(graph, list(graph.intrinsic), {})
        propagation.run_all()
        return _result_of(
            propagation, now, previous_nodes or {}, previous_objectives or {}, kept_node_since
        )


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

    with collected_as_long_lived():  # the result is kept
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
            updated = derived_result(result, propagation, range(graph.vertex_count), now)
            candidates = range(graph.vertex_count)

    changed_vertices: list[int] = []
    # Compared as the engine holds them, without making results: equal bitsets mean equal
    # root causes, since a derived result's cause index only ever adds bits.
    old_states, new_states = result.propagation.states, updated.propagation.states
    old_causes, new_causes = result.propagation.causes, updated.propagation.causes
    old_intrinsic, new_intrinsic_states = result.propagation.intrinsic, propagation.intrinsic
    old_since, new_since = result.blocked_since, updated.blocked_since
    for vertex in candidates:
        if (
            old_states[vertex] != new_states[vertex]
            or old_causes[vertex] != new_causes[vertex]
            or old_since[vertex] != new_since[vertex]
            or old_intrinsic[vertex] != new_intrinsic_states[vertex]
        ):
            changed_vertices.append(vertex)
    changed_vertices.sort()
    slugs, node_count = graph.slugs, graph.node_count
    objectives_from = bisect_left(changed_vertices, node_count)
    return ImpactUpdate(
        result=updated,
        changed_nodes=tuple(sorted(slugs[v] for v in changed_vertices[:objectives_from])),
        changed_objectives=tuple(sorted(slugs[v] for v in changed_vertices[objectives_from:])),
        full_recompute=not order_kept,
        changed_vertices=tuple(changed_vertices),
    )


def _result_of(
    propagation: Propagation,
    now: datetime,
    previous_nodes: Mapping[str, PreviousState],
    previous_objectives: Mapping[str, PreviousState],
    kept_node_since: Sequence[datetime | None] | None = None,
) -> ImpactResult:
    """The result of a whole propagation; blocked-since continues from `previous_*` or
    `kept_node_since`."""
    graph = propagation.graph
    slugs, node_count = graph.slugs, graph.node_count
    blocked_since: list[datetime | None] = [None] * graph.vertex_count
    blocked = [v for v, state in enumerate(propagation.states) if state == BLOCKED]
    for vertex in blocked:
        if kept_node_since is not None and vertex < node_count:
            blocked_since[vertex] = kept_node_since[vertex] or now
            continue
        previous = (previous_objectives if vertex >= node_count else previous_nodes).get(
            slugs[vertex]
        )
        if previous is not None and previous.state == State.BLOCKED and previous.blocked_since:
            blocked_since[vertex] = previous.blocked_since
        else:
            blocked_since[vertex] = now
    return ImpactResult(propagation=propagation, computed_at=now, blocked_since=blocked_since)


def derived_result(
    base: ImpactResult, propagation: Propagation, vertices: Iterable[int], now: datetime
) -> ImpactResult:
    """`base` with the results of `vertices` replaced; blocked-since continues from `base`."""
    if not isinstance(vertices, Collection):
        vertices = list(vertices)
    old_states, old_since = base.propagation.states, base.blocked_since
    states = propagation.states
    blocked_since = list(old_since)
    for vertex in vertices:
        if states[vertex] != BLOCKED:
            blocked_since[vertex] = None
        elif old_states[vertex] != BLOCKED or old_since[vertex] is None:
            blocked_since[vertex] = now
    return ImpactResult(
        propagation=propagation,
        computed_at=now,
        blocked_since=blocked_since,
        derived_from=(base, vertices),
    )
