"""The map grouped by team (dependencies/map/grouped.py): the whole map is counted (by the
recompute, with the results, or in SQL), and says exactly what the walk over the chosen items
says."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cataligent.models import Team
from dependencies.choices import State
from dependencies.graph.changes import impact_changed
from dependencies.graph.services import node_update
from dependencies.map import drawing
from dependencies.map.drawing import forget_map_cache, map_graph
from dependencies.map.query import MapFilters, node_queryset, objective_queryset
from dependencies.models import Edge, Node
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import forget_cache, impact_recompute
from objectives.models import Requirement
from tests.organisations import random_organisation
from tests.team_counts import counted_now, stored_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():  # type: ignore[no-untyped-def]
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


def _walked(f: MapFilters, budget: int) -> dict[str, Any]:
    """The grouped drawing from every item read one by one (the filtered maps' way)."""
    affected_only = f.view != "all"
    node_qs = node_queryset(f, affected_only=affected_only)
    objective_qs = objective_queryset(f, affected_only=affected_only)
    requirements = list(
        Requirement.objects.filter(objective_id__in=objective_qs.values("id")).values_list(
            "objective_id", "node_id", "node__team_id", "node__state", "criticality"
        )
    )
    shown = drawing._shown(f, node_qs, requirements, affected_only=affected_only)
    objective_light = list(objective_qs.values_list("id", "team_id", "state"))
    state = impact_state()
    graph = drawing.MapGraph(version=state.version, structure=state.structure, mode="items")
    graph.computed_at, graph.value_at_risk = state.computed_at, state.value_at_risk
    graph.total_items = len(shown) + len(objective_light)
    drawing._draw_grouped(graph, f, objective_light, requirements, budget, shown=shown)
    return graph.as_json()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("view", ["affected", "all"])
@pytest.mark.parametrize("expand", [(), ("team-1",), ("team-0", "_none"), ("team-2", "team-1")])
def test_grouping_in_sql_draws_what_the_walk_draws(
    seed: int, view: str, expand: tuple[str, ...]
) -> None:
    random_organisation(seed)
    assert Node.objects.exclude(state=State.OPERATIONAL).count() > 5
    f = MapFilters(view=view, expand=expand)
    in_sql = map_graph(f, budget=20).as_json()
    assert in_sql["mode"] == "grouped"
    assert in_sql == _walked(f, budget=20)


def test_the_whole_map_is_grouped_without_reading_every_edge() -> None:
    """One row per pair of groups: the edges are counted in SQL, never read one by one."""
    random_organisation(4)
    with CaptureQueriesContext(connection) as ctx:
        graph = map_graph(MapFilters(view="all", expand=("team-1",)), budget=30)
    assert graph.mode == "grouped"
    edge_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "dependencies_edge"' in q["sql"]]
    assert len(edge_reads) == 1 and "GROUP BY" in edge_reads[0]
    team_1 = Node.objects.filter(team__slug="team-1").count()
    drawn = [n for n in graph.nodes if n["data"]["id"].startswith("n:")]
    assert len(drawn) == team_1  # every node of the expanded team, and no other


# Committed, as in production: the changes are noted after the commit.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_the_counts_stored_by_an_incremental_recompute_are_the_counts(
    seed: int, recompute_left_to_the_test: None
) -> None:
    """The recompute carries the counts over from the nodes that changed: after random
    changes of state they are what a count of every node and edge says, and the map drawn
    from them is what the walk draws."""
    random_organisation(seed)
    rng = random.Random(seed)
    assert stored_now() == counted_now()  # the full pass counted
    nodes = list(Node.objects.order_by("slug"))
    # Not audited, as a ticket's change: the marker stays and the counts carry over. From
    # a few bad nodes (most of the map is blocked otherwise), so that edges come and go.
    Node.objects.update(manual_state="")
    for _ in range(8):
        changed = rng.sample(nodes, 3)
        for node in changed:
            Node.objects.filter(pk=node.pk).update(
                manual_state=rng.choice(["", "", "", "blocked", "degraded"])
            )
        impact_changed(nodes=[n.pk for n in nodes], reason="test")
        # An edge added or removed, as the graph's services note it: the pass rewires its
        # graph and the counts between teams are counted again.
        source, target = rng.sample(nodes, 2)
        edge = Edge.objects.filter(source=source, target=target).first()
        if edge is not None:
            edge.delete()
        elif not Edge.objects.filter(source=target, target=source).exists():
            Edge.objects.create(source=source, target=target)
        impact_changed(edges_of=[source.pk], reason="test")
        outcome = impact_recompute()
        assert outcome.incremental
        assert stored_now() == counted_now()
        for f in (MapFilters(), MapFilters(view="all"), MapFilters(expand=("team-1",))):
            forget_map_cache()
            drawn = map_graph(f, budget=20).as_json()
            if drawn["mode"] == "grouped":  # else few enough items to draw one by one
                assert drawn == _walked(f, budget=20)


def test_the_whole_map_reads_the_stored_counts_not_the_edges() -> None:
    random_organisation(8)
    with CaptureQueriesContext(connection) as ctx:
        graph = map_graph(MapFilters(), budget=20)
    assert graph.mode == "grouped"
    assert not [q for q in ctx.captured_queries if '"dependencies_edge"' in q["sql"]]
    assert graph.as_json() == _walked(MapFilters(), budget=20)


def test_counts_are_not_read_once_a_team_moved_without_a_recompute() -> None:
    """A node's team changes with an audit entry and no recompute: the stored counts are
    those of the old teams, so the map counts in SQL until the next pass."""
    random_organisation(9)
    node = Node.objects.exclude(state=State.OPERATIONAL).exclude(team__slug="team-2").first()
    assert node is not None
    user = get_user_model().objects.create_user("mover")
    node_update(node=node, changes={"team": Team.objects.get(slug="team-2")}, actor=user)
    forget_map_cache()
    for f in (MapFilters(), MapFilters(view="all")):
        assert map_graph(f, budget=20).as_json() == _walked(f, budget=20)
