"""How much business value rests on each node (the value at stake of what depends on it)."""

from __future__ import annotations

from decimal import Decimal

from dependencies.impact.graph import DependencyGraph

__all__ = ["value_exposed"]


def value_exposed(graph: DependencyGraph) -> dict[str, Decimal]:
    """Per node slug: the value at stake per week of the objectives that rest on it.

    An objective rests on a node when a chain of requirements and edges of any
    criticality leads from the objective to the node; each objective counts once per
    node however many paths lead there. One pass from dependents to dependencies,
    carrying each vertex's set of objectives as an integer bitset.
    """
    node_count = graph.node_count
    bits = [0] * graph.vertex_count
    for vertex in range(node_count, graph.vertex_count):
        bits[vertex] = 1 << (vertex - node_count)
    # Components are in evaluation order (dependencies first): walk them backwards so every
    # dependent is done before what it depends on. A cycle's members share one set.
    for component in reversed(graph.components):
        combined = 0
        for vertex in component:
            combined |= bits[vertex]
            for dependent in graph.dependents[vertex]:
                combined |= bits[dependent]
        for vertex in component:
            bits[vertex] = combined
    values = graph.values
    exposed: dict[str, Decimal] = {}
    for vertex in range(node_count):
        total = Decimal(0)
        remaining = bits[vertex]
        while remaining:
            low = remaining & -remaining
            total += values[low.bit_length() - 1]
            remaining ^= low
        exposed[graph.slugs[vertex]] = total
    return exposed
