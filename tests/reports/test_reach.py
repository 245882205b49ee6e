"""The items above each node, as bitsets (pure: no database)."""

from __future__ import annotations

import random

from reports.reach import BitCounter, item_reach
from reports.support import SupportGraph


def _graph(edges: list[tuple[int, int]], requirements: list[tuple[int, int]]) -> SupportGraph:
    return SupportGraph.build(edges, requirements)


def test_items_above_a_node_through_a_diamond_and_requirements() -> None:
    # Capabilities 1 and 2 both rest on service 3, which rests on database 4; objective 10
    # requires capability 1, objective 11 requires the database directly.
    graph = _graph([(1, 3), (2, 3), (3, 4)], [(10, 1), (11, 4)])
    reach = item_reach(graph, capability_ids=[1, 2], objective_ids=[10, 11])

    def above(node: int) -> set[tuple[str, int]]:
        return set(reach.items_of(reach.above.get(node, 0)))

    assert above(4) == {("node", 1), ("node", 2), ("objective", 10), ("objective", 11)}
    assert above(3) == {("node", 1), ("node", 2), ("objective", 10)}
    assert above(2) == {("node", 2)}
    assert set(reach.items_of(reach.of_ticket([2], [11]))) == {("node", 2), ("objective", 11)}


def test_a_cycle_shares_what_lies_above_it() -> None:
    # 5 -> 6 -> 7 -> 5 is a cycle; capability 1 rests on 5, capability 2 on 7's dependency 8.
    graph = _graph([(1, 5), (5, 6), (6, 7), (7, 5), (2, 8), (7, 8)], [])
    reach = item_reach(graph, capability_ids=[1, 2], objective_ids=[])

    for node in (5, 6, 7):
        assert set(reach.items_of(reach.above[node])) == {("node", 1)}
    assert set(reach.items_of(reach.above[8])) == {("node", 1), ("node", 2)}


def test_the_bitsets_agree_with_walking_the_graph_upwards() -> None:
    rng = random.Random(7)
    edges = {(rng.randrange(60), rng.randrange(60)) for _ in range(150)}
    graph = _graph(sorted(edges), [(100 + i, rng.randrange(60)) for i in range(10)])
    capabilities = list(range(0, 60, 6))
    reach = item_reach(graph, capability_ids=capabilities, objective_ids=range(100, 110))

    for node in range(60):
        upstream = graph.upstream(node)
        expected = {("node", c) for c in capabilities if c in upstream}
        expected |= {("objective", o) for o in graph.objectives_of(upstream)}
        assert set(reach.items_of(reach.above.get(node, 0))) == expected, node


def test_the_bit_counter_counts_every_position_at_once() -> None:
    rng = random.Random(3)
    masks = [rng.getrandbits(40) for _ in range(500)]
    counter = BitCounter()
    for mask in masks:
        counter.add(mask)
    for bit in range(40):
        assert counter.count(bit) == sum((m >> bit) & 1 for m in masks)
