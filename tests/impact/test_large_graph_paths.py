"""Properties of what the engine does differently for large graphs (issue 17).

Results are made on lookup from the engine's lists, edges are read in bulk and a dependent
may be listed twice; these hold each of those to the plain reading.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import (
    Criticality,
    Edge,
    ObjectiveResult,
    State,
    build_graph,
    compute_impact,
    single_points_of_failure,
    update_impact,
    what_if,
)
from tests.impact.builders import T0, Organisation, organisations

examples = settings(max_examples=150, deadline=None)


@examples
@given(organisations())
def test_result_views_read_like_the_dicts_they_replace(org: Organisation) -> None:
    result = org.compute()
    nodes, objectives = result.nodes, result.objectives
    assert list(nodes) == [n.slug for n in org.nodes]  # input order
    assert list(objectives) == [o.key for o in org.objectives]
    assert len(nodes) == len(org.nodes) and len(objectives) == len(org.objectives)
    for node in org.nodes:
        assert node.slug in nodes
        assert nodes[node.slug] == nodes.get(node.slug)
        assert nodes[node.slug].intrinsic_state == node.intrinsic_state
        assert nodes[node.slug].kind == node.kind
    for key, objective in objectives.items():
        assert isinstance(objective, ObjectiveResult) and objective.key == key
    assert "no-such-node" not in nodes and nodes.get("no-such-node") is None
    assert dict(nodes) == {slug: nodes[slug] for slug in nodes}
    assert result.value_at_risk == sum(
        (o.value_at_stake for o in objectives.values() if o.state == State.BLOCKED), 0
    )


@examples
@given(organisations(), st.data())
def test_what_if_keeps_blocked_since_of_what_stays_blocked(
    org: Organisation, data: st.DataObject
) -> None:
    slugs = [n.slug for n in org.nodes]
    later = T0 + timedelta(hours=1)
    base = compute_impact(
        build_graph(org.nodes, org.edges, org.objectives), now=later, previous_nodes={}
    )
    block = data.draw(st.sets(st.sampled_from(slugs), max_size=2))
    scenario = what_if(base, block=block).scenario
    for items_before, items_after in (
        (base.nodes, scenario.nodes),
        (base.objectives, scenario.objectives),
    ):
        for name, after in items_after.items():
            before = items_before[name]
            assert (after.blocked_since is not None) == (after.state == State.BLOCKED)
            if after.state == State.BLOCKED and before.state == State.BLOCKED:
                assert after.blocked_since == before.blocked_since
            elif after.state == State.BLOCKED:
                assert after.blocked_since == scenario.computed_at


def doubled(org: Organisation) -> Organisation:
    """Every edge outside a group twice, and every such hard edge a third time in a group of
    its own. (A second copy of a group member would make the group larger: not the same.)"""
    plain = [e for e in org.edges if not e.redundancy_group]
    extra = [
        Edge(e.source, e.target, Criticality.HARD, f"solo-{i}", 1)
        for i, e in enumerate(plain)
        if e.criticality == Criticality.HARD
    ]
    return Organisation(org.nodes, [*org.edges, *plain, *extra], org.objectives)


@examples
@given(organisations(), st.data())
def test_repeated_edges_change_nothing(org: Organisation, data: st.DataObject) -> None:
    once, twice = org.compute(), doubled(org).compute()
    assert dict(once.nodes) == dict(twice.nodes)
    assert dict(once.objectives) == dict(twice.objectives)
    assert once.bottlenecks == twice.bottlenecks
    assert single_points_of_failure(once) == single_points_of_failure(twice)

    # Incremental updates over a graph whose dependents repeat agree with a full run.
    slug = data.draw(st.sampled_from([n.slug for n in org.nodes]))
    state = data.draw(st.sampled_from(list(State)))
    later = T0 + timedelta(hours=1)
    update = update_impact(twice, now=later, intrinsic={slug: state})
    changed = doubled(org.with_intrinsic({slug: state}))
    expected = compute_impact(
        build_graph(changed.nodes, changed.edges, changed.objectives),
        now=later,
        previous_nodes=twice.nodes,
        previous_objectives=twice.objectives,
    )
    assert dict(update.result.nodes) == dict(expected.nodes)
    assert dict(update.result.objectives) == dict(expected.objectives)


@examples
@given(organisations(), st.data())
def test_what_if_changes_agree_with_its_full_scenario(
    org: Organisation, data: st.DataObject
) -> None:
    # The changes come from a pass over states alone; the scenario from the full pass.
    slugs = [n.slug for n in org.nodes]
    block = data.draw(st.sets(st.sampled_from(slugs), max_size=2))
    unblock = data.draw(st.sets(st.sampled_from(slugs), max_size=2)) - block
    base = org.compute()
    outcome = what_if(base, block=block, unblock=unblock)
    scenario = outcome.scenario
    expected_nodes = [
        (slug, base.nodes[slug].state, node.state)
        for slug, node in sorted(scenario.nodes.items())
        if node.state != base.nodes[slug].state
    ]
    expected_objectives = [
        (key, base.objectives[key].state, objective.state)
        for key, objective in sorted(scenario.objectives.items())
        if objective.state != base.objectives[key].state
    ]
    assert [(c.item, c.from_state, c.to_state) for c in outcome.nodes] == expected_nodes
    assert [(c.item, c.from_state, c.to_state) for c in outcome.objectives] == expected_objectives
    assert outcome.value_at_risk_delta == scenario.value_at_risk - base.value_at_risk
    assert [c.item for c in outcome.capabilities] == [
        slug for slug, _, _ in expected_nodes if scenario.nodes[slug].kind == "capability"
    ]


@settings(max_examples=100, deadline=None)
@given(organisations(), st.data())
def test_decoding_root_causes_is_the_same_with_a_bounded_cache(
    org: Organisation, data: st.DataObject
) -> None:
    # The cache of decoded sets is cleared when full (a worker's results share it for weeks);
    # the slugs a bitset decodes to do not depend on what the cache held.
    from dependencies.impact import propagation

    result = org.compute()
    index = result.propagation.cause_index
    bitsets = data.draw(st.lists(st.integers(0, 2 ** len(index.slug_of_bit) - 1), max_size=12))
    expected = [
        tuple(sorted(index.slug_of_bit[k] for k in range(len(index.slug_of_bit)) if b >> k & 1))
        for b in bitsets
    ]
    limit = propagation.DECODED_LIMIT
    propagation.DECODED_LIMIT = 3
    try:
        assert [index.decode(b) for b in bitsets] == expected
        assert len(index.decoded) <= 3
        assert [index.decode(b) for b in reversed(bitsets)] == expected[::-1]
    finally:
        propagation.DECODED_LIMIT = limit
