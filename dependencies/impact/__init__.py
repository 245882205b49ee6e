"""The impact engine: which capabilities and objectives are blocked, and by what.

A pure package (DESIGN §2 "State propagation"): plain data in, plain data out, no Django.
The loader builds `Node`, `Edge` and `Objective` values from the database, this package
computes, and the writer stores the results.

    graph = build_graph(nodes, edges, objectives)
    result = compute_impact(graph, now=now, previous_nodes=..., previous_objectives=...)
    result.nodes["lending-api"].root_causes, result.bottlenecks
    update_impact(result, now=now, intrinsic={"core-banking": State.BLOCKED})
    what_if(result, block=["core-banking"]).value_at_risk_delta
    single_points_of_failure(result)
"""

from dependencies.impact.engine import (
    ImpactResult,
    ImpactUpdate,
    compute_impact,
    next_blocked_since,
    update_impact,
)
from dependencies.impact.exposure import value_exposed
from dependencies.impact.graph import (
    DependencyGraph,
    GraphColumns,
    build_graph,
    build_graph_from_columns,
)
from dependencies.impact.model import (
    Bottleneck,
    Criticality,
    Edge,
    ImpactError,
    InvalidGraphError,
    Node,
    NodeResult,
    Objective,
    ObjectiveResult,
    PreviousState,
    Requirement,
    SinglePointOfFailure,
    State,
    StateChange,
    StoredState,
    UnknownNodeError,
    intrinsic_state,
)
from dependencies.impact.spof import single_points_of_failure
from dependencies.impact.whatif import WhatIfResult, what_if

__all__ = [
    "Bottleneck",
    "Criticality",
    "DependencyGraph",
    "Edge",
    "GraphColumns",
    "ImpactError",
    "ImpactResult",
    "ImpactUpdate",
    "InvalidGraphError",
    "Node",
    "NodeResult",
    "Objective",
    "ObjectiveResult",
    "PreviousState",
    "Requirement",
    "SinglePointOfFailure",
    "State",
    "StateChange",
    "StoredState",
    "UnknownNodeError",
    "WhatIfResult",
    "build_graph",
    "build_graph_from_columns",
    "compute_impact",
    "intrinsic_state",
    "next_blocked_since",
    "single_points_of_failure",
    "update_impact",
    "value_exposed",
    "what_if",
]
