"""Run cost allocated up the graph (DESIGN §2, report `spend`). Pure: ids and Decimals in and out.

The rule: what a node *carries* is its own run cost plus the shares it receives from the nodes
it depends on. It passes everything it carries on, split evenly among the items that depend on
it directly: the nodes with a `depends_on` edge to it and the objectives that require it. So a
database's cost reaches the services on it, their share reaches the capabilities on those, and
the capabilities' reach the objectives that require them.

Decisions (documented in docs/architecture.md, "Spend"):
- A node keeps no share of its own cost when anything depends on it: DESIGN splits the cost
  among the items that depend on it directly, and the node is not one of them. Its `spend`
  still shows what it carries (its own cost and everything beneath it): the cost of running it.
- A node nobody depends on (no dependent node, no objective) keeps what it carries; that money
  reached no objective and is listed as *unallocated*, so nothing disappears:
  allocated to objectives + unallocated = total cost.
- The nodes of a dependency cycle pool what they carry and pass it on as one unit, split among
  the cycle's outside dependents; each member shows the pooled amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass
class Allocation:
    # node id -> what it carries (its own cost and the shares of everything beneath it)
    spend: dict[int, Decimal] = field(default_factory=dict)
    # objective id -> what reached it through its requirements
    objectives: dict[int, Decimal] = field(default_factory=dict)
    # node id -> cost that stayed with it because nothing depends on it
    unallocated: dict[int, Decimal] = field(default_factory=dict)
    # the dependency cycles met on the way (each a set of node ids)
    cycles: list[frozenset[int]] = field(default_factory=list)

    @property
    def total_allocated(self) -> Decimal:
        return sum(self.objectives.values(), ZERO)

    @property
    def total_unallocated(self) -> Decimal:
        return sum(self.unallocated.values(), ZERO)


def allocate(
    costs: Mapping[int, Decimal],
    dependents: Mapping[int, Sequence[int]],
    required_by: Mapping[int, Sequence[int]],
) -> Allocation:
    """Carry each node's cost up to the objectives (the module's docstring says how).

    `costs`: node id -> its own run cost; `dependents`: node id -> ids of the nodes that depend
    on it directly; `required_by`: node id -> ids of the objectives that require it.
    Only the part of the graph above a node with a cost is walked.
    """
    result = Allocation()
    components = _components_upwards([n for n, c in costs.items() if c], dependents)
    component_of = {node: i for i, members in enumerate(components) for node in members}
    inflow: dict[int, Decimal] = {}
    # Tarjan finds a component after every component above it: walk them in reverse, bottom up.
    for index in range(len(components) - 1, -1, -1):
        members = components[index]
        carried = inflow.pop(index, ZERO) + sum((costs.get(m, ZERO) for m in members), ZERO)
        if len(members) > 1:
            result.cycles.append(frozenset(members))
        for member in members:
            result.spend[member] = carried
        above = _unique(
            component_of[d]
            for m in members
            for d in dependents.get(m, ())
            if component_of[d] != index
        )
        objectives = _unique(o for m in members for o in required_by.get(m, ()))
        receivers = len(above) + len(objectives)
        if receivers == 0:
            # Nobody depends on it: the cost stays here, shown as not reaching an objective.
            share = carried / len(members)
            for member in members:
                result.unallocated[member] = share
            continue
        share = carried / receivers
        for component in above:
            inflow[component] = inflow.get(component, ZERO) + share
        for objective in objectives:
            result.objectives[objective] = result.objectives.get(objective, ZERO) + share
    return result


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))


def _components_upwards(
    starts: Iterable[int], dependents: Mapping[int, Sequence[int]]
) -> list[list[int]]:
    """The strongly connected components reachable upwards from `starts` (iterative Tarjan).

    A component comes out after every component reachable from it, i.e. after those above it.
    """
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for start in starts:
        if start in index_of:
            continue
        index_of[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(dependents.get(start, ())))]
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(dependents.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
    return components
