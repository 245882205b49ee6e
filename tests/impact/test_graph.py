"""Building the graph: bad input is refused with a clear message, order does not matter."""

from __future__ import annotations

import random

import pytest

from dependencies.impact import (
    Criticality,
    Edge,
    InvalidGraphError,
    Node,
    Objective,
    Requirement,
    UnknownNodeError,
    build_graph,
    compute_impact,
)
from tests.impact.builders import T0, edges_of, nodes_of, summary


def test_unknown_node_in_an_edge() -> None:
    with pytest.raises(UnknownNodeError, match="unknown node 'ghost'"):
        build_graph(nodes_of("a"), [Edge("a", "ghost")], [])


def test_unknown_node_in_a_requirement() -> None:
    with pytest.raises(UnknownNodeError, match="OBJ-1 requires unknown node 'ghost'"):
        build_graph(nodes_of("a"), [], [Objective("OBJ-1", 1, (Requirement("ghost"),))])


def test_duplicates() -> None:
    with pytest.raises(InvalidGraphError, match="duplicate node 'a'"):
        build_graph(nodes_of("a a"), [], [])
    with pytest.raises(InvalidGraphError, match="duplicate objective 'O'"):
        build_graph(nodes_of("a"), [], [Objective("O", 1), Objective("O", 2)])


def test_bad_edge_fields() -> None:
    with pytest.raises(InvalidGraphError, match="min_operational"):
        build_graph(nodes_of("a b"), [Edge("a", "b", Criticality.HARD, "g", 0)], [])
    with pytest.raises(InvalidGraphError, match="criticality"):
        build_graph(nodes_of("a b"), [Edge("a", "b", "sometimes")], [])  # type: ignore[arg-type]


def test_bad_intrinsic_state() -> None:
    with pytest.raises(InvalidGraphError, match="node 'a': intrinsic state 'broken'"):
        build_graph([Node("a", "service", "broken")], [], [])  # type: ignore[arg-type]


def test_plain_strings_work_as_criticality_and_state() -> None:
    nodes = [Node("a", "service"), Node("b", "service", "blocked")]  # type: ignore[arg-type]
    edges = [Edge("a", "b", "soft", "", 1)]  # type: ignore[arg-type]
    result = compute_impact(build_graph(nodes, edges, []), now=T0)
    assert summary(result)["a"] == "degraded: b"


def test_input_order_does_not_matter() -> None:
    nodes = nodes_of("top left right base! other~ x y")
    edges = edges_of(
        [
            ("top", "left", "hard", "g", 1),
            ("top", "right", "hard", "g", 1),
            ("left", "base"),
            ("right", "base"),
            ("right", "other", "soft"),
            ("x", "y"),
            ("y", "x"),
            ("y", "top"),
        ]
    )
    expected = summary(compute_impact(build_graph(nodes, edges, []), now=T0))
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(nodes)
        rng.shuffle(edges)
        assert summary(compute_impact(build_graph(nodes, edges, []), now=T0)) == expected


def test_empty_graph() -> None:
    result = compute_impact(build_graph([], [], []), now=T0)
    assert (dict(result.nodes), result.cycles, result.bottlenecks) == ({}, (), ())


def test_a_long_chain_does_not_recurse() -> None:
    count = 50_000
    nodes = [Node(f"n{i}", "service") for i in range(count)]
    nodes[-1] = Node(nodes[-1].slug, "service", "blocked")  # type: ignore[arg-type]
    edges = [Edge(f"n{i}", f"n{i + 1}") for i in range(count - 1)]
    edges.append(Edge(f"n{count - 1}", "n0"))  # and one long cycle
    result = compute_impact(build_graph(nodes, edges, []), now=T0)
    assert result.nodes["n0"].root_causes == (f"n{count - 1}",)
    assert len(result.cycles[0]) == count


def test_the_column_input_refuses_what_the_object_input_refuses() -> None:
    import pytest

    from dependencies.impact import (
        GraphColumns,
        InvalidGraphError,
        UnknownNodeError,
        build_graph_from_columns,
    )

    def columns(**changes: object) -> GraphColumns:
        base = {
            "slugs": ["a", "b"],
            "kinds": ["service", "service"],
            "intrinsic": ["operational", "blocked"],
            "sources": [0],
            "targets": [1],
            "criticalities": ["hard"],
            "groups": [""],
            "min_operational": [1],
        }
        return GraphColumns(**{**base, **changes})  # type: ignore[arg-type]

    assert build_graph_from_columns(columns(), []).vertex_count == 2
    with pytest.raises(InvalidGraphError, match="duplicate node 'a'"):
        build_graph_from_columns(columns(slugs=["a", "a"]), [])
    with pytest.raises(InvalidGraphError, match="edge a→b: criticality 'sideways'"):
        build_graph_from_columns(columns(criticalities=["sideways"]), [])
    with pytest.raises(InvalidGraphError, match="node 'b': intrinsic state 'purple'"):
        build_graph_from_columns(columns(intrinsic=["operational", "purple"]), [])
    with pytest.raises(InvalidGraphError, match="min_operational must be at least 1"):
        build_graph_from_columns(columns(groups=["pair"], min_operational=[0]), [])
    with pytest.raises(UnknownNodeError, match="outside the node list"):
        build_graph_from_columns(columns(targets=[5]), [])
    with pytest.raises(UnknownNodeError, match="outside the node list"):
        build_graph_from_columns(columns(sources=[-1]), [])
    with pytest.raises(UnknownNodeError, match="outside the node list"):
        build_graph_from_columns(columns(sources=[None]), [])
    # Position 2 would be the objective's vertex: an edge names nodes only.
    objective = Objective("OBJ-1", 10, (Requirement("a", "hard"),))
    with pytest.raises(UnknownNodeError, match="outside the node list"):
        build_graph_from_columns(columns(targets=[2]), [objective])
