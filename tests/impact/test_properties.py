"""Properties of the engine on random graphs with cycles, self-loops, soft edges and groups."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import (
    Criticality,
    Edge,
    ImpactResult,
    Objective,
    Requirement,
    State,
    build_graph,
    compute_impact,
    single_points_of_failure,
    update_impact,
    what_if,
)
from tests.impact.builders import T0, Organisation, layered_organisations, organisations
from tests.impact.reference import OBJECTIVE, Reference

# Small graphs are enough to meet every rule, and are fast: the two tests that compare with
# an independent computation get more of them (about 20 s for the file on 2 cores).
examples = settings(max_examples=200, deadline=None)
many_examples = settings(max_examples=600, deadline=None)


def states_and_causes(result: ImpactResult) -> dict[str, tuple[State, tuple[str, ...]]]:
    items = {slug: (n.state, n.root_causes) for slug, n in result.nodes.items()}
    items.update(
        {OBJECTIVE + key: (o.state, o.root_causes) for key, o in result.objectives.items()}
    )
    return items


def reference_of(org: Organisation, forced: dict[str, State] | None = None) -> Reference:
    return Reference.of(org.nodes, org.edges, org.objectives, forced)


@many_examples
@given(organisations(), st.data())
def test_matches_the_slow_reference(org: Organisation, data: st.DataObject) -> None:
    forced = data.draw(
        st.dictionaries(
            st.sampled_from([n.slug for n in org.nodes]),
            st.sampled_from([State.OPERATIONAL, State.BLOCKED]),
            max_size=2,
        )
    )
    result = org.compute()
    if forced:
        block = [slug for slug, state in forced.items() if state == State.BLOCKED]
        unblock = [slug for slug, state in forced.items() if state == State.OPERATIONAL]
        result = what_if(result, block=block, unblock=unblock).scenario
    reference = reference_of(org, forced)
    states = reference.states()
    causes = reference.root_causes(states)
    expected = {item: (states[item], tuple(sorted(causes[item]))) for item in states}
    assert states_and_causes(result) == expected


@examples
@given(organisations())
def test_effective_state_is_never_better_than_intrinsic(org: Organisation) -> None:
    result = org.compute()
    for node in result.nodes.values():
        assert node.state >= node.intrinsic_state
        assert bool(node.root_causes) == (node.state != State.OPERATIONAL)
        assert (node.blocked_since is not None) == (node.state == State.BLOCKED)


@examples
@given(organisations(), st.data())
def test_a_new_blocking_cause_never_improves_anything(
    org: Organisation, data: st.DataObject
) -> None:
    slug = data.draw(st.sampled_from([n.slug for n in org.nodes]))
    before = org.compute()
    after = org.with_intrinsic({slug: State.BLOCKED}).compute()
    for item, (state, _) in states_and_causes(after).items():
        assert state >= states_and_causes(before)[item][0]


@examples
@given(organisations())
def test_root_causes_are_bad_and_reached_through_carrying_edges(org: Organisation) -> None:
    result = org.compute()
    reference = reference_of(org)
    items = states_and_causes(result)
    states = {item: state for item, (state, _) in items.items()}
    cycle_of = {item: cycle for cycle in reference.cycles() for item in cycle}

    def carried_from(item: str) -> set[str]:
        """The items whose state flows into `item` at its level."""
        level = states[item]
        found = set(cycle_of.get(item, ()))  # a cycle shares its state
        for one in reference.inputs[item]:
            group_state = reference.input_state(one, states)
            if group_state == level:
                found.update(
                    target
                    for target, hard in one.members
                    if reference.contribution(states[target], hard) >= group_state
                )
        return found

    for item, (state, root_causes) in items.items():
        reached, todo = {item}, [item]
        while todo:
            for source in carried_from(todo.pop()) - reached:
                reached.add(source)
                todo.append(source)
        for cause in root_causes:
            assert cause in reached
            assert reference.intrinsic[cause] == states[cause] != State.OPERATIONAL
            assert states[cause] >= state


@examples
@given(organisations(), st.data())
def test_incremental_update_equals_a_full_recompute(org: Organisation, data: st.DataObject) -> None:
    slugs = [n.slug for n in org.nodes]
    base = org.compute()
    later = T0 + timedelta(hours=1)
    intrinsic = data.draw(st.dictionaries(st.sampled_from(slugs), st.sampled_from(list(State))))
    dependencies: dict[str, list[Edge]] = {}
    if data.draw(st.booleans()):
        source = data.draw(st.sampled_from(slugs))
        dependencies[source] = [
            Edge(source, target, criticality, group, min_operational)
            for target, criticality, group, min_operational in data.draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(slugs),
                        st.sampled_from(list(Criticality)),
                        st.sampled_from([None, "g1", "g3"]),
                        st.integers(1, 3),
                    ),
                    max_size=3,
                )
            )
        ]
    requirements: dict[str, list[Requirement]] = {}
    change_requirements = data.draw(st.booleans())
    if org.objectives and change_requirements:
        key = data.draw(st.sampled_from([o.key for o in org.objectives]))
        requirements[key] = [Requirement(data.draw(st.sampled_from(slugs)), Criticality.HARD)]

    update = update_impact(
        base,
        now=later,
        intrinsic=intrinsic,
        dependencies=dependencies,
        requirements=requirements,
    )

    changed = org.with_intrinsic(intrinsic)
    edges = [e for e in changed.edges if e.source not in dependencies]
    edges.extend(e for new in dependencies.values() for e in new)
    objectives = [
        Objective(o.key, o.value_at_stake, tuple(requirements.get(o.key, o.requires)))
        for o in changed.objectives
    ]
    expected = compute_impact(
        build_graph(changed.nodes, edges, objectives),
        now=later,
        previous_nodes=base.nodes,
        previous_objectives=base.objectives,
    )
    assert dict(update.result.nodes) == dict(expected.nodes)
    assert dict(update.result.objectives) == dict(expected.objectives)
    assert update.result.cycles == expected.cycles
    assert update.result.bottlenecks == expected.bottlenecks
    assert set(update.changed_nodes) == {
        slug for slug in expected.nodes if expected.nodes[slug] != base.nodes[slug]
    }
    assert set(update.changed_objectives) == {
        key for key in expected.objectives if expected.objectives[key] != base.objectives[key]
    }
    # The same items as vertices, in vertex order (the incremental writer reads these).
    graph = update.result.graph
    assert list(update.changed_vertices) == sorted(
        [graph.node_index[slug] for slug in update.changed_nodes]
        + [graph.objective_index[key] for key in update.changed_objectives]
    )


@examples
@given(organisations(), st.data())
def test_what_if_then_its_inverse_gives_back_the_original(
    org: Organisation, data: st.DataObject
) -> None:
    slugs = [n.slug for n in org.nodes]
    block = data.draw(st.sets(st.sampled_from(slugs), max_size=3))
    unblock = data.draw(st.sets(st.sampled_from(slugs), max_size=3)) - block
    base = org.compute()

    forward = what_if(base, block=block, unblock=unblock)
    back = what_if(forward.scenario, release=block | unblock)

    assert states_and_causes(back.scenario) == states_and_causes(base)
    assert back.value_at_risk_delta == -forward.value_at_risk_delta
    assert forward.scenario.value_at_risk - base.value_at_risk == forward.value_at_risk_delta
    if not unblock:
        # Forcing to blocked and being intrinsically blocked give the same states.
        blocked = org.with_intrinsic(dict.fromkeys(block, State.BLOCKED)).compute()
        assert {i: s for i, (s, _) in states_and_causes(forward.scenario).items()} == {
            i: s for i, (s, _) in states_and_causes(blocked).items()
        }


def assert_single_points_of_failure_match_brute_force(org: Organisation) -> None:
    result = org.compute()
    expected = {}
    for slug in result.nodes:
        scenario = what_if(result, block=[slug]).scenario
        newly_blocked = {
            key
            for key, objective in scenario.objectives.items()
            if objective.state == State.BLOCKED and result.objectives[key].state != State.BLOCKED
        }
        if newly_blocked:
            expected[slug] = newly_blocked
    found = {p.node: set(p.objectives) for p in single_points_of_failure(result)}
    assert found == expected


@many_examples
@given(organisations(max_nodes=7, min_objectives=1))
def test_single_points_of_failure_equal_one_what_if_per_node(org: Organisation) -> None:
    assert_single_points_of_failure_match_brute_force(org)


@examples
@given(layered_organisations())
def test_single_points_of_failure_under_redundancy_groups(org: Organisation) -> None:
    assert_single_points_of_failure_match_brute_force(org)


@examples
@given(organisations(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(org: Organisation, rng: random.Random) -> None:
    shuffled = Organisation(
        rng.sample(org.nodes, len(org.nodes)),
        rng.sample(org.edges, len(org.edges)),
        rng.sample(org.objectives, len(org.objectives)),
    )
    left, right = org.compute(), shuffled.compute()
    assert dict(left.nodes) == dict(right.nodes)
    assert dict(left.objectives) == dict(right.objectives)
    assert left.cycles == right.cycles
    assert left.bottlenecks == right.bottlenecks
    assert single_points_of_failure(left) == single_points_of_failure(right)


@examples
@given(organisations())
def test_the_column_input_builds_the_same_graph(org: Organisation) -> None:
    """The loader's column form (no object per edge) gives what the object form gives,
    with states as labels and criticalities as text, as the database holds them."""
    from dependencies.impact import GraphColumns, build_graph_from_columns

    position = {node.slug: index for index, node in enumerate(org.nodes)}
    columns = GraphColumns(
        slugs=[n.slug for n in org.nodes],
        kinds=[n.kind for n in org.nodes],
        intrinsic=[n.intrinsic_state.label for n in org.nodes],
        sources=[position[e.source] for e in org.edges],
        targets=[position[e.target] for e in org.edges],
        criticalities=[str(e.criticality) for e in org.edges],
        groups=[e.redundancy_group or "" for e in org.edges],
        min_operational=[e.min_operational for e in org.edges],
    )
    by_objects = compute_impact(build_graph(org.nodes, org.edges, org.objectives), now=T0)
    by_columns = compute_impact(build_graph_from_columns(columns, org.objectives), now=T0)
    assert states_and_causes(by_columns) == states_and_causes(by_objects)
    assert by_columns.bottlenecks == by_objects.bottlenecks
