"""Which items a ticket supports (DESIGN §2). Pure: plain ids in, plain ids out.

A ticket supports the item it is linked to and every item that depends on that item,
directly or transitively: nodes through `depends_on` edges (a ticket on the database
supports the service on it and the capability on the service), objectives through their
requirements. Only the nodes that carry links are walked, each once, so the cost follows
the linked part of the graph, not its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class SupportGraph:
    """The graph read upwards: for a node, who depends on it."""

    # node id -> ids of the nodes whose `depends_on` edges point at it
    dependents: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # node id -> ids of the objectives that require it
    required_by: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(
        cls, edges: Iterable[tuple[int, int]], requirements: Iterable[tuple[int, int]]
    ) -> SupportGraph:
        """`edges` are `(source, target)` for "source depends on target";
        `requirements` are `(objective, node)`."""
        graph = cls()
        for source, target in edges:
            graph.dependents[target].append(source)
        for objective, node in requirements:
            graph.required_by[node].append(objective)
        return graph

    def upstream(self, node: int) -> frozenset[int]:
        """The node itself and every node that depends on it, directly or transitively."""
        seen = {node}
        stack = [node]
        while stack:
            current = stack.pop()
            for dependent in self.dependents.get(current, ()):
                if dependent not in seen:
                    seen.add(dependent)
                    stack.append(dependent)
        return frozenset(seen)

    def objectives_of(self, nodes: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for node in nodes:
            found.update(self.required_by.get(node, ()))
        return found


@dataclass(frozen=True)
class Supported:
    """What one ticket supports."""

    nodes: frozenset[int]
    objectives: frozenset[int]

    @property
    def any_objective(self) -> bool:
        return bool(self.objectives)


def supported_by_ticket(
    graph: SupportGraph,
    node_links: dict[int, set[int]],
    objective_links: dict[int, set[int]],
) -> dict[int, Supported]:
    """For each linked ticket id: the nodes and objectives it supports.

    `node_links` maps a ticket id to the node ids it is linked to, `objective_links` to
    the objective ids. A ticket linked to nothing does not appear (it is an orphan).
    """
    upstream_cache: dict[int, frozenset[int]] = {}

    def upstream(node: int) -> frozenset[int]:
        if node not in upstream_cache:
            upstream_cache[node] = graph.upstream(node)
        return upstream_cache[node]

    result: dict[int, Supported] = {}
    for ticket in set(node_links) | set(objective_links):
        nodes: set[int] = set()
        for node in node_links.get(ticket, ()):
            nodes |= upstream(node)
        objectives = graph.objectives_of(nodes) | set(objective_links.get(ticket, ()))
        result[ticket] = Supported(frozenset(nodes), frozenset(objectives))
    return result


def tickets_by_item(
    supported: dict[int, Supported],
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The inverse: node id -> ticket ids supporting it, objective id -> ticket ids."""
    by_node: dict[int, set[int]] = defaultdict(set)
    by_objective: dict[int, set[int]] = defaultdict(set)
    for ticket, what in supported.items():
        for node in what.nodes:
            by_node[node].add(ticket)
        for objective in what.objectives:
            by_objective[objective].add(ticket)
    return by_node, by_objective
