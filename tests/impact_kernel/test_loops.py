"""The compiled loops against the Python ones they stand in for (dependencies.impact.kernel).

tests/impact runs every engine test with each; these compare what the two build and
compute directly, and check that the compiled code refuses what would otherwise read
memory it does not own.
"""

from __future__ import annotations

import shutil
import sysconfig
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import Edge, Node, State, build_graph, kernel
from dependencies.impact.graph import DependencyGraph
from dependencies.impact.groups import RedundancyGroup
from dependencies.impact.propagation import Propagation
from tests.impact.builders import Organisation, layered_organisations, organisations

compiled = kernel.compiled
needs_kernel = pytest.mark.skipif(compiled is None, reason="the compiled kernel is not built")


@contextmanager
def python_loops() -> Iterator[None]:
    kernel.compiled = None
    try:
        yield
    finally:
        kernel.compiled = compiled


def test_the_kernel_is_built_wherever_a_compiler_is() -> None:
    # Without it the engine still works, three times slower at 250,000 nodes: a failed
    # build (setup.py marks the extension optional) must not go unnoticed.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) here: the Python loops are expected")
    assert compiled is not None, "dependencies/impact/_kernel.pyx is not built: pip install -e ."
    assert kernel.description() == "compiled loops"


def dependencies_in_order(graph: DependencyGraph) -> bool:
    """Every vertex's dependencies come before it, or share its component."""
    return all(
        graph.component_of[target] <= graph.component_of[vertex]
        for vertex in range(graph.vertex_count)
        for target in graph.dependencies(vertex)
    )


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(st.one_of(organisations(max_nodes=12), layered_organisations()))
def test_both_loops_build_the_same_graph(org: Organisation) -> None:
    built = build_graph(org.nodes, org.edges, org.objectives)
    with python_loops():
        expected = build_graph(org.nodes, org.edges, org.objectives)
    assert built.hard == expected.hard
    assert built.soft == expected.soft
    assert built.groups == expected.groups
    # The same dependents, perhaps in another order, and so perhaps another evaluation order.
    assert list(map(Counter, built.dependents)) == list(map(Counter, expected.dependents))
    assert built.cycles == expected.cycles
    assert sorted(map(sorted, built.components)) == sorted(map(sorted, expected.components))
    assert dependencies_in_order(built)


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(organisations(max_nodes=12), st.data())
def test_both_loops_propagate_the_same_with_forced_states(
    org: Organisation, data: st.DataObject
) -> None:
    # What-if forces states on the incremental path; run_all meets them only in a copy
    # whose order changed. Driven here directly, on every vertex kind.
    graph = build_graph(org.nodes, org.edges, org.objectives)
    forced = data.draw(
        st.dictionaries(
            st.integers(0, graph.vertex_count - 1),
            st.sampled_from([int(State.OPERATIONAL), int(State.BLOCKED)]),
            max_size=3,
        )
    )

    def run() -> tuple[list[int], list[int]]:
        propagation = Propagation.start(graph, list(graph.intrinsic), forced)
        propagation.run_all()
        return propagation.states, propagation.causes

    states, causes = run()
    with python_loops():
        assert run() == (states, causes)


@needs_kernel
def test_grouped_keeps_input_order_and_shares_the_empty_tuple() -> None:
    kinds = compiled.edge_kinds([True, True, False, True], ["", "", "", "g"])
    assert kinds == [
        compiled.PLAIN_HARD,
        compiled.PLAIN_HARD,
        compiled.PLAIN_SOFT,
        compiled.GROUPED,
    ]
    rows = compiled.grouped(4, [2, 0, 2, 3], ["a", "b", "c", "d"], kinds, compiled.PLAIN_HARD)
    assert rows == [("b",), (), ("a",), ()]
    assert rows[1] is rows[3]
    assert compiled.grouped(3, [2, 0, 2], ["a", "b", "c"]) == [("b",), (), ("a", "c")]


@needs_kernel
def test_the_kernel_refuses_what_would_read_outside_its_lists() -> None:
    with pytest.raises(IndexError, match=r"key 4 outside 0\.\.3"):
        compiled.grouped(4, [4], [0])
    with pytest.raises(IndexError, match="key -1"):
        compiled.grouped(4, [-1], [0])
    with pytest.raises(ValueError, match="same length"):
        compiled.grouped(4, [0, 1], [0])
    with pytest.raises(IndexError, match="source 9 outside"):
        compiled.redundancy_groups(2, [9], [0], ["g"], [True], [1], RedundancyGroup)
    with pytest.raises(IndexError, match="dependent 5 outside"):
        compiled.peel([(5,), ()])
    assert compiled.all_within([0, 3], 4)
    assert not compiled.all_within([0, 4], 4)
    assert not compiled.all_within([-1], 4)


@needs_kernel
def test_run_all_refuses_a_state_it_does_not_know() -> None:
    graph = build_graph(*_one_group_of_two(), [])
    propagation = Propagation.start(graph, list(graph.intrinsic), {})
    propagation.states[1] = 7  # no such state: the group's count by state must not overflow
    components = [(0,)]  # evaluate only the grouped vertex, with its member's bad state
    with pytest.raises(ValueError, match="state 7 of vertex 1"):
        run_compiled(graph, propagation, components)


@needs_kernel
def test_run_all_refuses_a_vertex_outside_its_lists() -> None:
    graph = build_graph(*_one_group_of_two(), [])
    propagation = Propagation.start(graph, list(graph.intrinsic), {})
    hard = list(graph.hard)
    hard[1] = (99,)
    with pytest.raises(IndexError):
        run_compiled(graph, propagation, [(1,)], hard=hard)


@needs_kernel
def test_run_all_refuses_a_group_that_is_not_one() -> None:
    graph = build_graph(*_one_group_of_two(), [])
    propagation = Propagation.start(graph, list(graph.intrinsic), {})
    groups = list(graph.groups)
    groups[0] = ((1, (1,)),)  # two fields, not three
    with pytest.raises(TypeError, match="not a redundancy group"):
        run_compiled(graph, propagation, [(1,), (2,), (0,)], groups=groups)


@needs_kernel
def test_both_loops_agree_on_a_large_random_graph() -> None:
    # Hypothesis keeps graphs small; this one has long chains, wide fan-in and big groups.
    from bench.generate import organisation_of_size

    org = organisation_of_size(3_000, seed=7)
    result = Organisation(org.nodes, org.edges, org.objectives).compute()
    with python_loops():
        expected = Organisation(org.nodes, org.edges, org.objectives).compute()
    assert result.propagation.states == expected.propagation.states
    assert [n.root_causes for n in result.nodes.values()] == [
        n.root_causes for n in expected.nodes.values()
    ]


def run_compiled(
    graph: DependencyGraph,
    propagation: Propagation,
    components: list[tuple[int, ...]],
    *,
    hard: list[tuple[int, ...]] | None = None,
    groups: list[tuple[RedundancyGroup, ...]] | None = None,
) -> None:
    """The compiled run_all over `components`, with the graph's inputs unless given."""
    assert compiled is not None
    compiled.run_all(
        components,
        frozenset(),
        propagation.evaluate_cycle,
        graph.hard if hard is None else hard,
        graph.soft,
        graph.groups if groups is None else groups,
        propagation.intrinsic,
        {},
        propagation.cause_index.bit_of,
        propagation.states,
        propagation.causes,
    )


def _one_group_of_two() -> tuple[list[Node], list[Edge]]:
    """app needs both of db1 and db2 (a group with min_operational 2)."""
    nodes = [Node("app", "service", State.OPERATIONAL)]
    nodes += [Node(f"db{i}", "data", State.OPERATIONAL) for i in (1, 2)]
    edges = [Edge("app", f"db{i}", "hard", "pair", 2) for i in (1, 2)]
    return nodes, edges
