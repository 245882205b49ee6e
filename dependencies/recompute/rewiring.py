"""Shape changes the incremental recompute can apply to its cached graph.

A change to a node's edges or an objective's requirements is noted (`ShapeChange`, by
`impact_changed(edges_of=..., requirements_of=...)`); the next pass reads those items'
inputs again, all of them, and the engine rewires its graph (`impact.update_impact`), so
one edge added at 250,000 nodes costs what its dependents cost, not a rebuild of the graph.
A shape change that did not say what it touched (a node added or deleted, an import, the
admin) moves `ImpactState.reshaped`, and the cached graph is built again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from dependencies import impact
from dependencies.models import Edge, Node, ShapeChange
from objectives.models import Objective, Requirement


@dataclass
class Rewiring:
    """Every edge of the rewired nodes (by slug) and every requirement of the rewired
    objectives (by key), as they are now."""

    dependencies: dict[str, list[impact.Edge]] = field(default_factory=dict)
    requirements: dict[str, list[impact.Requirement]] = field(default_factory=dict)


def noted_rewiring(after: int, upto: int) -> Rewiring | None:
    """The inputs of the items noted as rewired by the requests in (after, upto]; None if
    one of them is gone (it was deleted: the graph must be built again). Three queries."""
    node_ids: set[int] = set()
    objective_ids: set[int] = set()
    for node_id, objective_id in ShapeChange.objects.filter(
        requested__gt=after, requested__lte=upto
    ).values_list("node_id", "objective_id"):
        if node_id is not None:
            node_ids.add(node_id)
        else:
            objective_ids.add(objective_id)
    return _inputs_of(node_ids, objective_ids)


def _inputs_of(node_ids: Collection[int], objective_ids: Collection[int]) -> Rewiring | None:
    rewiring = Rewiring()
    if node_ids:
        slugs = dict(Node.objects.filter(pk__in=list(node_ids)).values_list("pk", "slug"))
        if len(slugs) != len(node_ids):
            return None
        rewiring.dependencies = {slug: [] for slug in slugs.values()}
        edges = Edge.objects.filter(source_id__in=list(node_ids)).order_by()
        for source, target, criticality, group, minimum in edges.values_list(
            "source_id", "target__slug", "criticality", "redundancy_group", "min_operational"
        ):
            rewiring.dependencies[slugs[source]].append(
                impact.Edge(
                    slugs[source], target, impact.Criticality(criticality), group or None, minimum
                )
            )
    if objective_ids:
        keys = dict(Objective.objects.filter(pk__in=list(objective_ids)).values_list("pk", "key"))
        if len(keys) != len(objective_ids):
            return None
        rewiring.requirements = {key: [] for key in keys.values()}
        requires = Requirement.objects.filter(objective_id__in=list(objective_ids)).order_by()
        for objective, node, criticality in requires.values_list(
            "objective_id", "node__slug", "criticality"
        ):
            rewiring.requirements[keys[objective]].append(
                impact.Requirement(node, impact.Criticality(criticality))
            )
    return rewiring
