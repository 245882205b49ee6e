"""green-red's per-item counts (bitsets grouped by item set and class, counted by a weighted
vertical counter) against the definition read ticket by ticket (`reports.support`: the set of
items each ticket supports), on random small graphs with cycles, diamonds and tickets linked
to several nodes and objectives. Pure: no database."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.green_red import support_counts
from reports.reach import BitCounter, item_reach
from reports.support import SupportGraph, supported_by_ticket, tickets_by_item
from reports.ticket_reads import OPEN, RESOLVED_BREACHED, RESOLVED_MET, RESOLVED_NO_SLA

NODES = 12
OBJECTIVES = range(100, 104)

edges = st.lists(st.tuples(st.integers(0, NODES - 1), st.integers(0, NODES - 1)), max_size=30)
requirements = st.lists(
    st.tuples(st.sampled_from(list(OBJECTIVES)), st.integers(0, NODES - 1)), max_size=8
)
tickets = st.lists(
    st.tuples(
        st.sets(st.integers(0, NODES - 1), max_size=3),
        st.sets(st.sampled_from(list(OBJECTIVES)), max_size=2),
        st.sampled_from([OPEN, RESOLVED_NO_SLA, RESOLVED_BREACHED, RESOLVED_MET]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(edges, requirements, tickets, st.sets(st.integers(0, NODES - 1), max_size=5))
def test_counts_match_the_ticket_by_ticket_definition(
    edge_list: list[tuple[int, int]],
    requirement_list: list[tuple[int, int]],
    ticket_list: list[tuple[set[int], set[int], int]],
    capabilities: set[int],
) -> None:
    graph = SupportGraph.build(edge_list, requirement_list)
    reach = item_reach(graph, capability_ids=sorted(capabilities), objective_ids=OBJECTIVES)
    links = [
        (ticket, node, None, klass)
        for ticket, (nodes, _, klass) in enumerate(ticket_list)
        for node in nodes
    ] + [
        (ticket, None, objective, klass)
        for ticket, (_, objectives, klass) in enumerate(ticket_list)
        for objective in objectives
    ]

    counts = support_counts(reach, links)

    node_links = {t: nodes for t, (nodes, _, _) in enumerate(ticket_list) if nodes}
    objective_links = {
        t: objectives for t, (_, objectives, _) in enumerate(ticket_list) if objectives
    }
    by_node, by_objective = tickets_by_item(supported_by_ticket(graph, node_links, objective_links))
    classes = {t: klass for t, (_, _, klass) in enumerate(ticket_list)}
    for bit, (kind, pk) in enumerate(reach.items):
        supporting = (by_node if kind == "node" else by_objective).get(pk, set())
        resolved = [t for t in supporting if classes[t] != OPEN]
        with_sla = [t for t in resolved if classes[t] != RESOLVED_NO_SLA]
        met = [t for t in with_sla if classes[t] == RESOLVED_MET]
        assert counts[bit] == (len(supporting), len(resolved), len(with_sla), len(met)), (
            kind,
            pk,
        )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**20 - 1), st.integers(1, 40)), max_size=30))
def test_the_bit_counter_counts_weighted_masks(masks: list[tuple[int, int]]) -> None:
    counter = BitCounter()
    for mask, times in masks:
        counter.add(mask, times)
    expected = [sum(times for mask, times in masks if mask >> bit & 1) for bit in range(20)]
    assert counter.counts(20) == expected
    assert [counter.count(bit) for bit in range(20)] == expected
