"""DESIGN §2.6: blocked-since is kept while blocked, set when newly blocked, cleared after."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import (
    DependencyGraph,
    ImpactResult,
    Node,
    State,
    StoredState,
    build_graph,
    compute_impact,
    next_blocked_since,
    update_impact,
)
from tests.impact.builders import T0, edges_of, nodes_of, objectives_of, organisations

T1, T2, T3 = T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(hours=3)
EDGES = edges_of([("lending", "api"), ("api", "db")])
OBJECTIVES = objectives_of([("OBJ-1", 1000, ["lending"])])


def graph(db_state: str) -> DependencyGraph:
    return build_graph(nodes_of(f"lending:capability api {db_state}"), EDGES, OBJECTIVES)


def compute(db_state: str, *, now: datetime, previous: ImpactResult | None = None) -> ImpactResult:
    if previous is None:
        return compute_impact(graph(db_state), now=now)
    return compute_impact(
        graph(db_state),
        now=now,
        previous_nodes=previous.nodes,
        previous_objectives=previous.objectives,
    )


def test_kept_across_recomputes_and_reset_after_unblocking() -> None:
    first = compute("db!", now=T0)
    assert first.nodes["lending"].blocked_since == T0
    assert first.objectives["OBJ-1"].blocked_since == T0

    second = compute("db!", now=T1, previous=first)
    assert second.nodes["lending"].blocked_since == T0
    assert second.objectives["OBJ-1"].blocked_since == T0

    unblocked = compute("db", now=T2, previous=second)
    assert unblocked.nodes["lending"].blocked_since is None
    assert unblocked.objectives["OBJ-1"].blocked_since is None

    again = compute("db!", now=T3, previous=unblocked)
    assert again.nodes["lending"].blocked_since == T3


def test_degraded_is_not_blocked() -> None:
    result = compute("db~", now=T0)
    assert result.nodes["lending"].state is State.DEGRADED
    assert result.nodes["lending"].blocked_since is None


def test_previous_from_stored_rows() -> None:
    stored = {"lending": StoredState(State.BLOCKED, T0), "api": StoredState(State.DEGRADED)}
    result = compute_impact(graph("db!"), now=T2, previous_nodes=stored)
    assert result.nodes["lending"].blocked_since == T0
    assert result.nodes["api"].blocked_since == T2  # was degraded: newly blocked
    assert result.nodes["db"].blocked_since == T2  # unknown before: newly blocked


def test_kept_and_reset_by_incremental_updates() -> None:
    first = compute("db", now=T0)
    blocked = update_impact(first, now=T1, intrinsic={"db": State.BLOCKED}).result
    assert blocked.nodes["lending"].blocked_since == T1
    still = update_impact(blocked, now=T2, intrinsic={"api": State.DEGRADED}).result
    assert still.nodes["lending"].blocked_since == T1
    assert still.nodes["api"].blocked_since == T1
    fixed = update_impact(still, now=T3, intrinsic={"db": State.OPERATIONAL}).result
    assert fixed.nodes["lending"].blocked_since is None
    assert fixed.nodes["api"].state is State.DEGRADED


def test_next_blocked_since() -> None:
    assert next_blocked_since(State.BLOCKED, None, T1) == T1
    assert next_blocked_since(State.BLOCKED, StoredState(State.BLOCKED, T0), T1) == T0
    assert next_blocked_since(State.BLOCKED, StoredState(State.BLOCKED, None), T1) == T1
    assert next_blocked_since(State.BLOCKED, StoredState(State.DEGRADED, T0), T1) == T1
    assert next_blocked_since(State.DEGRADED, StoredState(State.BLOCKED, T0), T1) is None


def test_node_result_is_a_previous_state() -> None:
    result = compute_impact(build_graph([Node("db", "data", State.BLOCKED)], [], []), now=T0)
    assert next_blocked_since(State.BLOCKED, result.nodes["db"], T1) == T0


@settings(max_examples=200, deadline=None)
@given(organisations(), st.data())
def test_kept_since_by_vertex_equals_kept_since_by_slug(org: Any, data: st.DataObject) -> None:
    """`compute_impact(kept_node_since=...)`, the loader's column, continues blocked-since
    exactly as `previous_nodes` does."""
    graph = build_graph(org.nodes, org.edges, org.objectives)
    previous = {
        node.slug: StoredState(
            data.draw(st.sampled_from(list(State))), data.draw(st.sampled_from([None, T0, T1]))
        )
        for node in org.nodes
    }
    kept = [
        row.blocked_since if row.state == State.BLOCKED else None
        for row in (previous[slug] for slug in graph.slugs[: graph.node_count])
    ]
    by_slug = compute_impact(graph, now=T2, previous_nodes=previous)
    by_vertex = compute_impact(graph, now=T2, kept_node_since=kept)
    assert by_vertex.blocked_since == by_slug.blocked_since
