"""Which report items lie above each node, as bitsets. Pure: plain ids in, plain ints out.

`support.SupportGraph.upstream` walks the graph once per linked node; on a 50,000-node
organisation with tens of thousands of linked nodes that is millions of steps. The reports
only need the *items* above a node (capabilities and objectives: a few thousand), so each
node gets one integer whose bits are those items, computed for the whole graph in passes
over the edges: a node's bits are its own item bit, its requiring objectives' bits, and the
bits of every node that depends on it. A union of bitsets is one `|` of two Python ints.

Cycles are allowed (DESIGN §2.3): the passes repeat until nothing changes, which is the
least fixed point, i.e. exactly "reachable upwards".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from reports.support import SupportGraph

# An item of a report: ("node", id) or ("objective", id).
Item = tuple[str, int]


@dataclass(frozen=True)
class ItemReach:
    """`items[i]` is the item of bit i; `above[node]` the bits of the items a node supports."""

    items: list[Item]
    above: dict[int, int]
    objective_bit: dict[int, int]

    def of_ticket(self, nodes: Iterable[int], objectives: Iterable[int]) -> int:
        """The items a ticket linked to these nodes and objectives supports (DESIGN §2)."""
        mask = 0
        for node in nodes:
            mask |= self.above.get(node, 0)
        for objective in objectives:
            mask |= 1 << self.objective_bit[objective] if objective in self.objective_bit else 0
        return mask

    def items_of(self, mask: int) -> Iterator[Item]:
        while mask:
            low = mask & -mask
            yield self.items[low.bit_length() - 1]
            mask ^= low


class BitCounter:
    """Counts, for every bit position at once, how many added masks had it set.

    A "vertical" binary counter: `levels[j]` holds bit j of every position's count, so
    adding a mask is a ripple-carry of a few big-int operations (two on average), however
    many bits it has. Counting tickets per item this way costs per ticket, not per
    (ticket, item) pair.
    """

    def __init__(self) -> None:
        self.levels: list[int] = []

    def add(self, mask: int, times: int = 1) -> None:
        """Count `mask` `times` times: one ripple-carry per set bit of `times`."""
        start = 0
        while times:
            if times & 1:
                carry, j = mask, start
                while carry:
                    if j >= len(self.levels):
                        self.levels.extend([0] * (j + 1 - len(self.levels)))
                    level = self.levels[j]
                    self.levels[j] = level ^ carry
                    carry &= level
                    j += 1
            times >>= 1
            start += 1

    def count(self, bit: int) -> int:
        return sum(((level >> bit) & 1) << j for j, level in enumerate(self.levels))

    def counts(self, size: int) -> list[int]:
        """Every position's count, for positions 0 .. size - 1."""
        found = [0] * size
        for j, level in enumerate(self.levels):
            weight = 1 << j
            for bit, digit in enumerate(reversed(bin(level)[2:])):
                if digit == "1" and bit < size:
                    found[bit] += weight
        return found


def item_reach(
    graph: SupportGraph, *, capability_ids: Iterable[int], objective_ids: Iterable[int]
) -> ItemReach:
    """Bits for every capability and objective, and for every node the items above it."""
    items: list[Item] = [("node", c) for c in capability_ids]
    own: dict[int, int] = {node: 1 << bit for bit, (_, node) in enumerate(items)}
    objective_bit: dict[int, int] = {}
    for objective in objective_ids:
        objective_bit[objective] = len(items)
        items.append(("objective", objective))
    for node, objectives in graph.required_by.items():
        for objective in objectives:
            if objective in objective_bit:
                own[node] = own.get(node, 0) | 1 << objective_bit[objective]

    # Nodes by position; dependents[i]: the positions of the nodes that depend on node i.
    nodes = list(set(own).union(graph.dependents, *graph.dependents.values()))
    position = {node: i for i, node in enumerate(nodes)}
    dependents = [
        [position[d] for d in graph.dependents.get(node, ())] if node in graph.dependents else []
        for node in nodes
    ]
    masks = [own.get(node, 0) for node in nodes]
    placed, rest = _top_down(dependents)
    get = masks.__getitem__
    # Every dependent of a placed node comes before it: one pass gives its final bits.
    for i in placed:
        if dependents[i]:
            masks[i] = reduce(or_, map(get, dependents[i]), masks[i])
    changed = True
    while changed and rest:  # nodes on or below a cycle: repeat until nothing changes
        changed = False
        for i in rest:
            mask = reduce(or_, map(get, dependents[i]), masks[i])
            if mask != masks[i]:
                masks[i] = mask
                changed = True
    above = {node: mask for node, mask in zip(nodes, masks, strict=True) if mask}
    return ItemReach(items=items, above=above, objective_bit=objective_bit)


def _top_down(dependents: list[list[int]]) -> tuple[list[int], list[int]]:
    """Positions with every dependent before them where the graph allows (Kahn's order from
    the top), and the rest: nodes on or below a cycle, for the fixed-point passes."""
    waiting = [len(d) for d in dependents]
    depends_on: list[list[int]] = [[] for _ in dependents]
    for i, sources in enumerate(dependents):
        for source in sources:
            depends_on[source].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for target in depends_on[i]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    if len(order) == len(dependents):
        return order, []
    placed = set(order)
    return order, [i for i in range(len(dependents)) if i not in placed]
