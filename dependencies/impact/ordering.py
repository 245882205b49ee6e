"""The evaluation order of the compiled graph: its strongly connected components, every
dependency before its dependents, and which of them are cycles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from dependencies.impact import kernel

if TYPE_CHECKING:
    from dependencies.impact.graph import DependencyGraph


def evaluation_order(
    graph: DependencyGraph, missing: list[int] | None = None
) -> tuple[list[tuple[int, ...]], frozenset[int]]:
    """The SCCs of the graph, every dependency before its dependents, and which are cycles.

    networkx finds the SCCs and orders them, but only for the *core*: the vertices that lie on
    a cycle or between two cycles. Everything else is peeled off first in two plain passes
    (Kahn's algorithm from the leaves, then from the top), because handing all 250,000 edges
    of a large organisation to networkx costs about 1.3 s and the peeling about 0.1 s. In a
    graph without cycles the core is empty.

    `missing[v]`, if given, counts v's entries in the dependents lists (the builder knows it).
    """
    dependents = graph.dependents

    # Pass 1, from the leaves: a vertex is ready once all its dependencies are placed.
    if kernel.compiled is not None:  # the same loop, compiled (dependencies.impact.kernel)
        first, still_missing = kernel.compiled.peel(dependents)
        left = set(still_missing)
    else:
        first, left = _peeled_from_the_leaves(dependents, missing)

    # Pass 2, from the top, over what is left (cycles and whatever depends on them): a vertex
    # can go last once everything that depends on it has gone.
    dependencies = {v: graph.dependencies(v) & left for v in left}
    waiting = dict.fromkeys(left, 0)
    for vertex in left:
        for target in dependencies[vertex]:
            waiting[target] += 1
    last = [v for v in left if waiting[v] == 0]
    for vertex in last:
        for target in dependencies[vertex]:
            waiting[target] -= 1
            if waiting[target] == 0:
                last.append(target)

    # The core: cycles and the vertices between them, left to networkx.
    core = left.difference(last)
    core_graph: nx.DiGraph[int] = nx.DiGraph()
    core_graph.add_nodes_from(sorted(core))
    core_graph.add_edges_from((v, t) for v in sorted(core) for t in dependencies[v] if t in core)
    condensation = nx.condensation(core_graph)
    # Edges point from dependent to dependency, so a topological sort lists dependents
    # first; evaluation needs the reverse.
    core_order = list(reversed(list(nx.topological_sort(condensation))))

    components: list[tuple[int, ...]] = [(v,) for v in first]
    cycle_components: set[int] = set()
    for scc in core_order:
        members = tuple(sorted(condensation.nodes[scc]["members"]))
        if len(members) > 1 or core_graph.has_edge(members[0], members[0]):
            cycle_components.add(len(components))
        components.append(members)
    components.extend((v,) for v in reversed(last))
    return components, frozenset(cycle_components)


def _peeled_from_the_leaves(
    dependents: list[tuple[int, ...]], missing: list[int] | None
) -> tuple[list[int], set[int]]:
    """Kahn's algorithm from the leaves: the vertices in an order where every dependency
    comes first, as far as that goes, and the set of those left over (on or above a cycle).
    """
    count = len(dependents)
    if missing is None:
        missing = [0] * count
        for vertex_dependents in dependents:
            for dependent in vertex_dependents:
                missing[dependent] += 1
    else:
        missing = list(missing)
    first = [v for v in range(count) if missing[v] == 0]
    for vertex in first:  # grows while we walk it
        for dependent in dependents[vertex]:
            missing[dependent] -= 1
            if missing[dependent] == 0:
                first.append(dependent)
    return first, {v for v in range(count) if missing[v] > 0}
