"""A small random organisation in the database, for the map's tests: the grouped map
(tests/web/test_map_grouped.py) and the map's changes (tests/impact_db/test_map_changes.py)."""

from __future__ import annotations

import random

from dependencies.models import Edge, Node
from dependencies.recompute.runner import impact_recompute
from tests.factories import NodeFactory, ObjectiveFactory, TeamFactory


def random_organisation(seed: int) -> list[Node]:
    """Three teams and unowned items, a random acyclic graph of 40 nodes (the first 10
    capabilities), some blocked or degraded by hand, objectives requiring capabilities;
    recomputed. Returns the nodes in slug order."""
    rng = random.Random(seed)
    teams = [TeamFactory(slug=f"team-{i}", name=f"Team {i}") for i in range(3)] + [None]
    nodes = []
    for i in range(40):
        manual = rng.choice(["", "", "", "blocked", "degraded"])
        nodes.append(
            NodeFactory(
                slug=f"n-{i:02d}",
                kind="capability" if i < 10 else "service",
                team=rng.choice(teams),
                manual_state=manual,
                manual_reason="down" if manual else "",
            )
        )
    for i, source in enumerate(nodes):
        for target in rng.sample(nodes[i + 1 :], min(3, len(nodes) - i - 1)):
            Edge.objects.create(source=source, target=target)
    for i in range(8):
        objective = ObjectiveFactory(key=f"OBJ-{i}", team=rng.choice(teams))
        for capability in rng.sample(nodes[:10], 2):
            objective.requirements.create(node=capability)
    impact_recompute(force=True)
    return nodes
