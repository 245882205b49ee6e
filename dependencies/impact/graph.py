"""The dependency graph compiled for propagation: indexes, adjacency and evaluation order.

Nodes and objectives become *vertices* numbered 0..n-1 (nodes first, then objectives), so
that the hot loops of the engine work on lists and ints instead of dicts of strings. An
objective is a vertex like a node: its requirements are its inputs and nothing depends on it.

The evaluation order lists the strongly connected components (SCCs) with every dependency
before its dependents, so one pass in that order settles every state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from itertools import compress
from operator import add, and_, attrgetter, gt, not_
from typing import NamedTuple

from dependencies.impact import kernel
from dependencies.impact.gc_pause import collected_as_long_lived
from dependencies.impact.groups import NO_GROUPS, RedundancyGroup, redundancy_groups
from dependencies.impact.model import (
    Criticality,
    Edge,
    InvalidGraphError,
    Node,
    Objective,
    Requirement,
    State,
    UnknownNodeError,
)
from dependencies.impact.ordering import evaluation_order
from dependencies.impact.validation import (
    CRITICALITIES,
    STATE_VALUES,
    refuse_criticalities,
    refuse_duplicate_nodes,
    refuse_intrinsic_states,
    refuse_unknown_nodes,
)

__all__ = ["DependencyGraph", "RedundancyGroup", "build_graph"]


_NO_VERTICES: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class DependencyGraph:
    """Immutable once built; `with_inputs` returns a new graph sharing what did not change.

    Per vertex v: `hard[v]` and `soft[v]` are the targets of v's edges outside any group,
    `groups[v]` its redundancy groups, `dependents[v]` the vertices with an edge to v
    (one with two edges to v may be listed twice: cheaper than removing repeats at 1.25
    million edges, and harmless to every reader). `components` lists the SCCs in
    evaluation order (dependencies first) and `component_of[v]` is the position of v's SCC
    in that list.
    """

    slugs: list[str]
    kinds: list[str]
    node_count: int
    node_index: dict[str, int]
    objective_index: dict[str, int]
    values: list[Decimal]  # value at stake per objective, by vertex - node_count
    intrinsic: list[int]  # as given by the input nodes; objectives are operational
    hard: list[tuple[int, ...]]
    soft: list[tuple[int, ...]]
    groups: list[tuple[RedundancyGroup, ...]]
    dependents: list[tuple[int, ...]]
    components: list[tuple[int, ...]]
    component_of: list[int]
    cycle_components: frozenset[int]  # positions of SCCs that are cycles (incl. self-loops)

    @property
    def vertex_count(self) -> int:
        return len(self.slugs)

    @property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """Each cycle's node slugs, sorted; cycles sorted by their first slug."""
        cycles = [
            tuple(sorted(self.slugs[v] for v in self.components[c])) for c in self.cycle_components
        ]
        return tuple(sorted(cycles))

    @cached_property
    def capability_vertices(self) -> tuple[int, ...]:
        """The vertices of kind `capability`: the bottleneck ranking reads only these and the
        objectives, not all 250,000 nodes, on every incremental update."""
        kinds = self.kinds
        return tuple(v for v in range(self.node_count) if kinds[v] == "capability")

    def is_objective(self, vertex: int) -> bool:
        return vertex >= self.node_count

    def vertex(self, slug: str) -> int:
        """The vertex of a node slug; UnknownNodeError if there is none."""
        try:
            return self.node_index[slug]
        except KeyError:
            raise UnknownNodeError(f"unknown node {slug!r}") from None

    def dependencies(self, vertex: int) -> set[int]:
        """The distinct vertices `vertex` has an edge (or requirement) to."""
        targets = set(self.hard[vertex]) | set(self.soft[vertex])
        for group in self.groups[vertex]:
            targets.update(group.members)
        return targets

    def with_inputs(
        self,
        *,
        dependencies: Mapping[str, Sequence[Edge]] | None = None,
        requirements: Mapping[str, Sequence[Requirement]] | None = None,
    ) -> tuple[DependencyGraph, bool]:
        """A graph where some nodes' edges or some objectives' requirements are replaced.

        `dependencies` maps a node slug to *all* its edges after the change; `requirements`
        maps an objective key to all its requirements. Returns the new graph and whether the
        old evaluation order is still valid for it (no SCC changed and every new dependency
        comes earlier in the order), in which case only the changed vertices and what
        depends on them need to be evaluated again.
        """
        table = _InputTable()
        for slug, edges in (dependencies or {}).items():
            source = self.vertex(slug)
            if any(edge.source != slug for edge in edges):
                raise InvalidGraphError(f"an edge listed for {slug} starts elsewhere")
            table.hard.setdefault(source, [])  # a node whose edges were all removed
            table.add_edges(edges, self.node_index)
        for key, requires in (requirements or {}).items():
            if key not in self.objective_index:
                raise UnknownNodeError(f"unknown objective {key!r}")
            table.add_requirements(self.objective_index[key], key, requires, self.node_index)
        changed = table.sources()
        if not changed:
            return self, True

        hard, soft, groups = list(self.hard), list(self.soft), list(self.groups)
        dependents = list(self.dependents)
        order_kept = True
        for vertex in changed:
            old_targets = self.dependencies(vertex)
            hard[vertex], soft[vertex], groups[vertex] = table.inputs_of(vertex)
            new_targets = set(hard[vertex]) | set(soft[vertex])
            for group in groups[vertex]:
                new_targets.update(group.members)
            position = self.component_of[vertex]
            if position in self.cycle_components and old_targets != new_targets:
                order_kept = False  # the cycle may have split or grown
            if any(self.component_of[t] >= position for t in new_targets - old_targets):
                order_kept = False  # a new dependency evaluated later, or a new cycle
            for target in old_targets - new_targets:
                dependents[target] = tuple(d for d in dependents[target] if d != vertex)
            for target in new_targets - old_targets:
                dependents[target] = (*dependents[target], vertex)

        graph = replace(self, hard=hard, soft=soft, groups=groups, dependents=dependents)
        if order_kept:
            return graph, True
        return _with_evaluation_order(graph), False


class _InputTable:
    """Edges and requirements sorted by their source vertex: hard, soft and grouped inputs."""

    def __init__(self) -> None:
        self.hard: defaultdict[int, list[int]] = defaultdict(list)
        self.soft: defaultdict[int, list[int]] = defaultdict(list)
        self.group_members: defaultdict[int, dict[str, list[tuple[int, bool]]]] = defaultdict(dict)
        self.group_min: dict[tuple[int, str], int] = {}

    def add_edges(self, edges: Iterable[Edge], node_index: dict[str, int]) -> None:
        # Runs once per edge of the whole organisation: everything it needs is a local.
        hard, soft = self.hard, self.soft
        is_hard, is_soft = Criticality.HARD, Criticality.SOFT
        for edge in edges:
            try:
                source = node_index[edge.source]
                target = node_index[edge.target]
            except KeyError as error:
                raise UnknownNodeError(
                    f"edge {edge.source}→{edge.target}: unknown node {error.args[0]!r}"
                ) from None
            criticality = edge.criticality
            if edge.redundancy_group:
                self._add_group_member(source, target, edge)
            elif criticality == is_hard:
                hard[source].append(target)
            elif criticality == is_soft:
                soft[source].append(target)
            else:
                raise InvalidGraphError(
                    f"edge {edge.source}→{edge.target}: criticality {edge.criticality!r}"
                )

    def _add_group_member(self, source: int, target: int, edge: Edge) -> None:
        label = edge.redundancy_group or ""
        if edge.criticality not in CRITICALITIES:
            raise InvalidGraphError(
                f"edge {edge.source}→{edge.target}: criticality {edge.criticality!r}"
            )
        if edge.min_operational < 1:
            raise InvalidGraphError(
                f"edge {edge.source}→{edge.target}: min_operational must be at least 1"
            )
        is_hard = edge.criticality == Criticality.HARD
        self.group_members[source].setdefault(label, []).append((target, is_hard))
        # Members that disagree on min_operational: the largest (the strictest) wins.
        key = (source, label)
        self.group_min[key] = max(self.group_min.get(key, 1), edge.min_operational)

    def add_requirements(
        self, vertex: int, key: str, requires: Iterable[Requirement], node_index: dict[str, int]
    ) -> None:
        self.hard.setdefault(vertex, [])  # an objective whose requirements were all removed
        for requirement in requires:
            target = node_index.get(requirement.node)
            if target is None:
                raise UnknownNodeError(
                    f"objective {key} requires unknown node {requirement.node!r}"
                )
            if requirement.criticality == Criticality.HARD:
                self.hard[vertex].append(target)
            elif requirement.criticality == Criticality.SOFT:
                self.soft[vertex].append(target)
            else:
                raise InvalidGraphError(
                    f"objective {key} requires {requirement.node}: "
                    f"criticality {requirement.criticality!r}"
                )

    def sources(self) -> set[int]:
        return self.hard.keys() | self.soft.keys() | self.group_members.keys()

    def groups_of(self, vertex: int) -> tuple[RedundancyGroup, ...]:
        groups = tuple(
            RedundancyGroup(
                min_operational=min(self.group_min[(vertex, label)], len(members)),
                hard=tuple(t for t, is_hard in members if is_hard),
                soft=tuple(t for t, is_hard in members if not is_hard),
            )
            for label, members in sorted(self.group_members.get(vertex, {}).items())
        )
        return groups or NO_GROUPS

    def inputs_of(
        self, vertex: int
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[RedundancyGroup, ...]]:
        return (
            tuple(self.hard.get(vertex, ())) or _NO_VERTICES,
            tuple(self.soft.get(vertex, ())) or _NO_VERTICES,
            self.groups_of(vertex),
        )


class GraphColumns(NamedTuple):
    """The nodes and edges as parallel lists: the form a bulk reader produces.

    `build_graph_from_columns` takes it without making an object per edge, which at a
    million edges is most of the cost of building the graph (dependencies.recompute.loader).
    """

    slugs: list[str]
    kinds: list[str]
    intrinsic: list[State | str]  # a State or its label ("blocked")
    sources: list[int]  # positions in `slugs`: source depends on target
    targets: list[int]
    criticalities: list[str]  # Criticality values ("hard", "soft")
    groups: list[str | None]  # redundancy-group labels; None or "" for none
    min_operational: list[int]

    def edge(self, position: int) -> Edge:
        """One edge as the engine's input type, to name it in an error."""
        return Edge(
            self.slugs[self.sources[position]],
            self.slugs[self.targets[position]],
            self.criticalities[position],  # type: ignore[arg-type]
            self.groups[position],
            self.min_operational[position],
        )


def build_graph(
    nodes: Iterable[Node], edges: Iterable[Edge], objectives: Iterable[Objective]
) -> DependencyGraph:
    """Index and order the graph. Raises InvalidGraphError / UnknownNodeError on bad input."""
    with collected_as_long_lived():  # the graph is kept
        return _compile(*_columns(nodes, edges), objectives)


def build_graph_from_columns(
    columns: GraphColumns, objectives: Iterable[Objective]
) -> DependencyGraph:
    """`build_graph` for input already in columns, with the same checks."""
    with collected_as_long_lived():  # the graph is kept
        node_index = dict(zip(columns.slugs, range(len(columns.slugs)), strict=True))
        if len(node_index) != len(columns.slugs):
            refuse_duplicate_nodes(columns.slugs)
        count = len(columns.slugs)
        within = _all_within if kernel.compiled is None else kernel.compiled.all_within
        try:
            valid = within(columns.sources, count) and within(columns.targets, count)
        except TypeError:  # a position that is not an int
            valid = False
        if not valid:
            raise UnknownNodeError("an edge names a node position outside the node list")
        return _compile(columns, node_index, objectives)


def _all_within(positions: list[int], count: int) -> bool:
    """Whether every position is in 0..count-1."""
    return not positions or (min(positions) >= 0 and max(positions) < count)


# Bulk reads of the input: `map` over these runs the loop in C, which at 1.25 million edges
# is several times faster than reading the fields edge by edge in Python.
_SLUG = attrgetter("slug")
_KIND = attrgetter("kind")
_INTRINSIC = attrgetter("intrinsic_state")
_SOURCE = attrgetter("source")
_TARGET = attrgetter("target")
_CRITICALITY = attrgetter("criticality")
_GROUP = attrgetter("redundancy_group")
_MIN_OPERATIONAL = attrgetter("min_operational")


def _columns(nodes: Iterable[Node], edges: Iterable[Edge]) -> tuple[GraphColumns, dict[str, int]]:
    nodes = nodes if isinstance(nodes, list | tuple) else list(nodes)
    edges = edges if isinstance(edges, list | tuple) else list(edges)
    slugs: list[str] = list(map(_SLUG, nodes))
    node_index = dict(zip(slugs, range(len(slugs)), strict=True))
    if len(node_index) != len(slugs):
        refuse_duplicate_nodes(slugs)
    try:
        sources = list(map(node_index.__getitem__, map(_SOURCE, edges)))
        targets = list(map(node_index.__getitem__, map(_TARGET, edges)))
    except (KeyError, TypeError):
        refuse_unknown_nodes(edges, node_index)
        raise
    columns = GraphColumns(
        slugs=slugs,
        kinds=list(map(_KIND, nodes)),
        intrinsic=list(map(_INTRINSIC, nodes)),
        sources=sources,
        targets=targets,
        criticalities=list(map(_CRITICALITY, edges)),
        groups=list(map(_GROUP, edges)),
        min_operational=list(map(_MIN_OPERATIONAL, edges)),
    )
    return columns, node_index


def _compile(
    columns: GraphColumns, node_index: dict[str, int], objectives: Iterable[Objective]
) -> DependencyGraph:
    slugs = list(columns.slugs)
    kinds = list(columns.kinds)
    try:
        intrinsic = list(map(STATE_VALUES.__getitem__, columns.intrinsic))
    except (KeyError, TypeError):
        named = zip(slugs, kinds, columns.intrinsic, strict=True)
        refuse_intrinsic_states([Node(slug, kind, state) for slug, kind, state in named])  # type: ignore[arg-type]
        raise
    node_count = len(slugs)
    criticalities = columns.criticalities
    try:
        unknown_criticality = not CRITICALITIES.issuperset(criticalities)
    except TypeError:  # something unhashable
        unknown_criticality = True
    if unknown_criticality:
        refuse_criticalities([columns.edge(i) for i in range(len(columns.sources))])

    objective_index: dict[str, int] = {}
    values: list[Decimal] = []
    objective_list = list(objectives)
    for objective in objective_list:
        if objective.key in objective_index:
            raise InvalidGraphError(f"duplicate objective {objective.key!r}")
        objective_index[objective.key] = node_count + len(values)
        values.append(_money(objective.value_at_stake))
    slugs.extend(objective_index)
    kinds.extend(["objective"] * len(values))
    intrinsic.extend([int(State.OPERATIONAL)] * len(values))
    count = len(slugs)

    is_hard = list(map(Criticality.HARD.__eq__, criticalities))
    required = _requirements(objective_list, objective_index, node_index)
    if kernel.compiled is not None:
        inputs = _inputs_compiled(columns, count, is_hard, required)
    else:
        inputs = _inputs_in_python(columns, count, is_hard, required)
    hard, soft, groups, dependents, missing = inputs

    graph = DependencyGraph(
        slugs=slugs,
        kinds=kinds,
        node_count=node_count,
        node_index=node_index,
        objective_index=objective_index,
        values=values,
        intrinsic=intrinsic,
        hard=hard,
        soft=soft,
        groups=groups,
        dependents=dependents,
        components=[],
        component_of=[],
        cycle_components=frozenset(),
    )
    return _with_evaluation_order(graph, missing)


class _Required(NamedTuple):
    """The objectives' requirements as edges: objective vertex -> node vertex."""

    hard: dict[int, list[int]]
    soft: dict[int, list[int]]
    sources: list[int]  # every requirement, hard or soft, for the dependents lists
    targets: list[int]


def _requirements(
    objectives: list[Objective], objective_index: dict[str, int], node_index: dict[str, int]
) -> _Required:
    # The same reading of requirements as an incremental change's (`_InputTable`).
    table = _InputTable()
    for objective in objectives:
        vertex = objective_index[objective.key]
        table.add_requirements(vertex, objective.key, objective.requires, node_index)
    required = _Required(hard=table.hard, soft=table.soft, sources=[], targets=[])
    for by_vertex in (table.hard, table.soft):
        for vertex, vertex_targets in by_vertex.items():
            required.sources.extend([vertex] * len(vertex_targets))
            required.targets.extend(vertex_targets)
    return required


_Inputs = tuple[
    list[tuple[int, ...]],  # hard, by source vertex
    list[tuple[int, ...]],  # soft
    list[tuple[RedundancyGroup, ...]],  # groups
    list[tuple[int, ...]],  # dependents, by target vertex
    list[int] | None,  # missing: each vertex's entries in the dependents lists, if counted
]


def _inputs_in_python(
    columns: GraphColumns, count: int, is_hard: list[bool], required: _Required
) -> _Inputs:
    # Inputs sorted by source and dependents by target, in plain lists; one pass per kind of
    # input. `missing[v]` counts v's entries in the dependents lists, for the evaluation
    # order. A pair linked twice (two edges, or hard and in a group) is listed twice there,
    # which the order and the incremental updates take as they come.
    sources, targets = columns.sources, columns.targets
    hard_lists: list[list[int]] = [[] for _ in range(count)]
    soft_lists: list[list[int]] = [[] for _ in range(count)]
    dependent_lists: list[list[int]] = [[] for _ in range(count)]
    plain = list(map(not_, columns.groups))
    pairs = zip(sources, targets, strict=True)
    for source, target in compress(pairs, map(and_, plain, is_hard)):
        hard_lists[source].append(target)
        dependent_lists[target].append(source)
    pairs = zip(sources, targets, strict=True)
    for source, target in compress(pairs, map(gt, plain, is_hard)):
        soft_lists[source].append(target)
        dependent_lists[target].append(source)
    groups = redundancy_groups(columns, is_hard, count)
    for source, target in compress(zip(sources, targets, strict=True), columns.groups):
        dependent_lists[target].append(source)
    for vertex, vertex_targets in required.hard.items():
        hard_lists[vertex].extend(vertex_targets)
    for vertex, vertex_targets in required.soft.items():
        soft_lists[vertex].extend(vertex_targets)
    for source, target in zip(required.sources, required.targets, strict=True):
        dependent_lists[target].append(source)
    missing = list(map(add, map(len, hard_lists), map(len, soft_lists)))
    for vertex, vertex_groups in enumerate(groups):
        for group in vertex_groups:
            missing[vertex] += len(group.hard) + len(group.soft)
    return (
        list(map(tuple, hard_lists)),
        list(map(tuple, soft_lists)),
        groups,
        list(map(tuple, dependent_lists)),
        missing,
    )


def _inputs_compiled(
    columns: GraphColumns, count: int, is_hard: list[bool], required: _Required
) -> _Inputs:
    """`_inputs_in_python` with the loops over every edge compiled (dependencies.impact.kernel).

    The dependents lists take every edge in input order, then the requirements, so a
    vertex's dependents come in another order than in Python: the evaluation order may
    differ, the results do not.
    """
    assert kernel.compiled is not None
    grouped = kernel.compiled.grouped
    sources, targets = columns.sources, columns.targets
    kinds = kernel.compiled.edge_kinds(is_hard, columns.groups)
    hard = grouped(count, sources, targets, kinds, kernel.compiled.PLAIN_HARD)
    soft = grouped(count, sources, targets, kinds, kernel.compiled.PLAIN_SOFT)
    groups = redundancy_groups(columns, is_hard, count)
    # An objective has only requirements: its inputs are made here, not by `grouped`.
    for vertex, vertex_targets in required.hard.items():
        hard[vertex] = tuple(vertex_targets)
    for vertex, vertex_targets in required.soft.items():
        soft[vertex] = tuple(vertex_targets)
    dependents = grouped(count, targets + required.targets, sources + required.sources)
    return hard, soft, groups, dependents, None


def _money(value: Decimal | float) -> Decimal:
    # str() first so that 0.1 becomes Decimal("0.1"), not its binary approximation.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _with_evaluation_order(
    graph: DependencyGraph, missing: list[int] | None = None
) -> DependencyGraph:
    components, cycle_components = evaluation_order(graph, missing)
    component_of = [0] * graph.vertex_count
    for position, members in enumerate(components):
        for vertex in members:
            component_of[vertex] = position
    return replace(
        graph,
        components=components,
        component_of=component_of,
        cycle_components=cycle_components,
    )
