"""Incremental updates give what a full recompute gives, and say what changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dependencies.impact import (
    Edge,
    ImpactResult,
    InvalidGraphError,
    Requirement,
    State,
    UnknownNodeError,
    build_graph,
    compute_impact,
    update_impact,
)
from tests.impact.builders import (
    T0,
    EdgeSpec,
    ObjectiveSpec,
    edges_of,
    nodes_of,
    objectives_of,
)

T1 = T0 + timedelta(minutes=5)
NODES = "lending:capability reporting:capability api db cache"
EDGES: list[EdgeSpec] = [
    ("lending", "api"),
    ("api", "db"),
    ("api", "cache", "soft"),
    ("reporting", "db", "soft"),
]
OBJECTIVES: list[ObjectiveSpec] = [("OBJ-1", 1000, ["lending"]), ("OBJ-2", 300, ["reporting"])]


def full(
    nodes: str,
    edges: list[Edge],
    requires: dict[str, list[Requirement]] | None = None,
    previous: ImpactResult | None = None,
) -> ImpactResult:
    objectives = objectives_of(OBJECTIVES)
    if requires:
        objectives = [
            type(o)(o.key, o.value_at_stake, tuple(requires.get(o.key, o.requires)))
            for o in objectives
        ]
    return compute_impact(
        build_graph(nodes_of(nodes), edges, objectives),
        now=T1,
        previous_nodes=previous.nodes if previous else None,
        previous_objectives=previous.objectives if previous else None,
    )


def assert_same(left: ImpactResult, right: ImpactResult) -> None:
    assert dict(left.nodes) == dict(right.nodes)
    assert dict(left.objectives) == dict(right.objectives)
    assert left.cycles == right.cycles
    assert left.bottlenecks == right.bottlenecks


@pytest.fixture
def base() -> ImpactResult:
    return compute_impact(
        build_graph(nodes_of(NODES), edges_of(EDGES), objectives_of(OBJECTIVES)), now=T0
    )


def test_one_ticket_blocks_a_node(base: ImpactResult) -> None:
    update = update_impact(base, now=T1, intrinsic={"db": State.BLOCKED})
    assert update.changed_nodes == ("api", "db", "lending", "reporting")
    assert update.changed_objectives == ("OBJ-1", "OBJ-2")
    assert not update.full_recompute
    assert_same(update.result, full(NODES.replace("db", "db!"), edges_of(EDGES), previous=base))
    assert base.nodes["db"].state is State.OPERATIONAL  # the base is untouched


def test_a_change_that_changes_nothing_downstream(base: ImpactResult) -> None:
    update = update_impact(base, now=T1, intrinsic={"cache": State.DEGRADED})
    assert update.changed_nodes == ("api", "cache", "lending")
    update = update_impact(base, now=T1, intrinsic={"db": State.OPERATIONAL})
    assert (update.changed_nodes, update.changed_objectives) == ((), ())


def test_only_the_intrinsic_state_changed(base: ImpactResult) -> None:
    blocked = update_impact(base, now=T1, intrinsic={"db": State.BLOCKED}).result
    update = update_impact(blocked, now=T1, intrinsic={"api": State.BLOCKED})
    # api's own state stays blocked, but it is now a root cause of itself and above.
    assert update.changed_nodes == ("api", "lending")
    assert update.result.nodes["lending"].root_causes == ("api", "db")


def test_edges_of_a_node_replaced(base: ImpactResult) -> None:
    blocked = update_impact(base, now=T1, intrinsic={"db": State.BLOCKED}).result
    new_edges = [Edge("api", "cache")]  # api no longer depends on db; cache is now hard
    update = update_impact(blocked, now=T1, dependencies={"api": new_edges})
    assert not update.full_recompute
    expected_edges = [e for e in edges_of(EDGES) if e.source != "api"] + new_edges
    assert_same(update.result, full(NODES.replace("db", "db!"), expected_edges, previous=blocked))
    assert update.changed_nodes == ("api", "lending")


def test_an_edge_that_closes_a_cycle(base: ImpactResult) -> None:
    new_edges = [Edge("db", "lending")]
    update = update_impact(base, now=T1, dependencies={"db": new_edges})
    assert update.full_recompute  # the evaluation order had to change
    assert update.result.cycles == (("api", "db", "lending"),)
    assert_same(update.result, full(NODES, [*edges_of(EDGES), *new_edges], previous=base))


def test_an_edge_of_a_cycle_removed() -> None:
    nodes = "a b c!"
    edges: list[EdgeSpec] = [("a", "b"), ("b", "a"), ("a", "c", "soft")]
    base = compute_impact(build_graph(nodes_of(nodes), edges_of(edges), []), now=T0)
    assert base.nodes["b"].state is State.DEGRADED  # shares a's state
    update = update_impact(base, now=T1, dependencies={"b": []})
    assert update.full_recompute  # the cycle split
    assert update.result.cycles == ()
    assert update.changed_nodes == ("b",)
    assert update.result.nodes["b"].state is State.OPERATIONAL


def test_requirements_replaced(base: ImpactResult) -> None:
    blocked = update_impact(base, now=T1, intrinsic={"db": State.BLOCKED}).result
    assert blocked.objectives["OBJ-2"].state is State.DEGRADED
    requires = {"OBJ-2": [Requirement("reporting"), Requirement("api")]}
    update = update_impact(blocked, now=T1, requirements=requires)
    assert (update.changed_nodes, update.changed_objectives) == ((), ("OBJ-2",))
    assert update.result.objectives["OBJ-2"].state is State.BLOCKED
    assert_same(
        update.result,
        full(NODES.replace("db", "db!"), edges_of(EDGES), requires, previous=blocked),
    )
    update = update_impact(blocked, now=T1, requirements={"OBJ-2": []})
    assert update.result.objectives["OBJ-2"].state is State.OPERATIONAL


def test_bad_changes_are_refused(base: ImpactResult) -> None:
    with pytest.raises(UnknownNodeError):
        update_impact(base, now=T1, intrinsic={"nope": State.BLOCKED})
    with pytest.raises(UnknownNodeError):
        update_impact(base, now=T1, dependencies={"api": [Edge("api", "nope")]})
    with pytest.raises(InvalidGraphError):
        update_impact(base, now=T1, dependencies={"api": [Edge("db", "cache")]})
    with pytest.raises(UnknownNodeError):
        update_impact(base, now=T1, requirements={"OBJ-9": []})


def test_a_dropped_result_is_freed_without_the_cyclic_collector() -> None:
    # A worker replaces its result on every ticket change and counts the new one as
    # long-lived (impact/gc_pause.py: collected_as_long_lived): a result in a reference cycle would
    # wait for a rare full collection, a million slots at a time.
    import gc
    import weakref

    base = full(NODES, edges_of(EDGES))
    update = update_impact(base, now=T1, intrinsic={"db": State.BLOCKED})
    for result in (base, update.result):
        assert dict(result.nodes) and dict(result.objectives)
        assert isinstance(result.bottlenecks, tuple)  # the ranking made and kept
    refs = [weakref.ref(base), weakref.ref(update.result)]
    gc.disable()
    try:
        del base, update, result
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()
