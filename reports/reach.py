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

    def add(self, mask: int) -> None:
        carry, j = mask, 0
        while carry:
            if j == len(self.levels):
                self.levels.append(0)
            level = self.levels[j]
            self.levels[j] = level ^ carry
            carry &= level
            j += 1

    def count(self, bit: int) -> int:
        return sum(((level >> bit) & 1) << j for j, level in enumerate(self.levels))


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

    nodes = set(own) | set(graph.dependents)
    for dependents in list(graph.dependents.values()):
        nodes.update(dependents)
    above = {node: own.get(node, 0) for node in nodes}
    order = _top_down(graph, nodes)
    changed = True
    while changed:  # one pass when acyclic; a few more around cycles
        changed = False
        for node in order:
            mask = above[node]
            for dependent in graph.dependents.get(node, ()):
                mask |= above[dependent]
            if mask != above[node]:
                above[node] = mask
                changed = True
    return ItemReach(
        items=items, above={n: m for n, m in above.items() if m}, objective_bit=objective_bit
    )


def _top_down(graph: SupportGraph, nodes: set[int]) -> list[int]:
    """Nodes with every dependent before them where the graph allows (Kahn's order from the
    top); nodes on or below a cycle follow in any order, for the fixed-point passes."""
    waiting = {node: len(graph.dependents.get(node, ())) for node in nodes}
    depends_on: dict[int, list[int]] = {}
    for target, sources in graph.dependents.items():
        for source in sources:
            depends_on.setdefault(source, []).append(target)
    ready = [node for node, count in waiting.items() if count == 0]
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for target in depends_on.get(node, ()):
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    placed = set(order)
    order.extend(node for node in nodes if node not in placed)
    return order
