from decimal import Decimal

from dependencies.impact import Criticality, Edge, Node, Objective, Requirement, build_graph
from dependencies.impact.exposure import value_exposed


def test_value_exposed_counts_each_objective_once_through_any_path() -> None:
    nodes = [Node(s, "service") for s in ("cap", "api", "db", "cache", "lonely", "x", "y")]
    edges = [
        Edge("cap", "api"),
        Edge("cap", "cache", Criticality.SOFT),
        Edge("api", "db"),
        Edge("cache", "db"),  # a diamond: db counts OBJ-1 once
        Edge("x", "y"),
        Edge("y", "x"),  # a cycle shares its set
    ]
    objectives = [
        Objective("OBJ-1", Decimal(100), (Requirement("cap"),)),
        Objective("OBJ-2", Decimal(30), (Requirement("db", Criticality.SOFT),)),
        Objective("OBJ-3", Decimal(7), (Requirement("x"),)),
    ]
    exposed = value_exposed(build_graph(nodes, edges, objectives))
    assert exposed == {
        "cap": Decimal(100),
        "api": Decimal(100),
        "cache": Decimal(100),
        "db": Decimal(130),
        "lonely": Decimal(0),
        "x": Decimal(7),
        "y": Decimal(7),
    }
