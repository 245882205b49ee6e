"""Edge and requirement changes take the incremental path (issue 17, part 2).

The graph's services say which node's edges or which objective's requirements they changed
(`impact_changed(edges_of=..., requirements_of=...)`); the next pass reads just those
inputs and rewires the worker's cached graph instead of building it again. Each test
checks the pass was incremental, read no whole table, and stored exactly what a full
recompute in a new worker would (which then finds nothing to write).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dependencies.graph.services import (
    edge_create,
    edge_delete,
    edge_update,
    node_create,
    node_update,
)
from dependencies.models import Edge, ImpactState, Node, ShapeChange
from dependencies.recompute.runner import forget_cache, impact_recompute
from objectives.models import Objective
from objectives.services import objective_set_requirements
from tests.team_counts import counted_now, stored_now

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("recompute_left_to_the_test"),
]

WHOLE_TABLE = re.compile(r'FROM "(dependencies_edge|dependencies_node|objectives_requirement)"')


def _stored() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (
        list(Node.objects.order_by("slug").values_list("slug", "state", "root_causes")),
        list(Objective.objects.order_by("key").values_list("key", "state", "root_causes")),
    )


def _incremental_pass() -> Any:
    """The next pass after a change, checked incremental and reading no table whole."""
    with CaptureQueriesContext(connection) as queries:
        outcome = impact_recompute()
    assert outcome.ran and outcome.incremental
    for query in queries.captured_queries:
        sql = query["sql"]
        if WHOLE_TABLE.search(sql) and " WHERE " not in sql and not sql.startswith("UPDATE"):
            pytest.fail(f"read a whole table: {sql[:200]}")
    assert not ShapeChange.objects.exists(), "the notes are spent once stored"
    assert stored_now() == counted_now()
    return outcome


def _same_as_a_full_recompute() -> None:
    stored = _stored()
    forget_cache()  # a new worker
    full = impact_recompute(force=True)
    assert not full.incremental
    assert (full.nodes_written, full.objectives_written) == (0, 0)
    assert _stored() == stored


def test_an_edge_added_blocks_its_source_without_rebuilding_the_graph(
    lending: Any, people: Any
) -> None:
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    assert Node.objects.get(slug="app").state == "operational"

    edge_create(source=nodes["app"], target=nodes["ledger"], actor=people["admin"])
    assert ShapeChange.objects.get().node_id == nodes["app"].pk
    _incremental_pass()

    app = Node.objects.get(slug="app")
    assert (app.state, app.root_causes) == ("blocked", ["ledger"])
    _same_as_a_full_recompute()


def test_an_edge_deleted_or_moved_to_another_source(lending: Any, people: Any) -> None:
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    assert Node.objects.get(slug="cap").state == "blocked"

    to_ledger = Edge.objects.get(source__slug="api", target__slug="ledger")
    edge_update(edge=to_ledger, changes={"source": nodes["app"]}, actor=people["admin"])
    assert set(ShapeChange.objects.values_list("node_id", flat=True)) == {
        nodes["api"].pk,
        nodes["app"].pk,
    }
    _incremental_pass()
    assert Node.objects.get(slug="api").state == "operational"
    assert Node.objects.get(slug="app").state == "blocked"
    assert Node.objects.get(slug="cap").state == "degraded"  # app is a soft dependency
    _same_as_a_full_recompute()

    edge_delete(edge=Edge.objects.get(source__slug="app"), actor=people["admin"])
    _incremental_pass()
    assert Node.objects.get(slug="cap").state == "operational"
    _same_as_a_full_recompute()


def test_an_edge_that_closes_a_cycle(lending: Any, people: Any) -> None:
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="degraded")
    impact_recompute(force=True)

    # ledger → cap closes cap → api → ledger → cap: a new evaluation order, still no reload.
    edge_create(source=nodes["ledger"], target=nodes["cap"], actor=people["admin"])
    _incremental_pass()
    assert ImpactState.objects.get().cycles
    _same_as_a_full_recompute()


def test_requirements_changed(lending: Any, people: Any) -> None:
    nodes, objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    assert Objective.objects.get().state == "blocked"

    objective_set_requirements(
        objective=objective, requires=[(nodes["app"], "hard")], actor=people["admin"]
    )
    assert ShapeChange.objects.get().objective_id == objective.pk
    _incremental_pass()
    assert Objective.objects.values_list("state", "root_causes").get() == ("operational", [])
    _same_as_a_full_recompute()


def test_a_shape_change_that_says_nothing_of_its_edges_rebuilds_the_graph(
    lending: Any, people: Any
) -> None:
    nodes, _objective = lending
    impact_recompute(force=True)
    with transaction.atomic():
        edge_create(source=nodes["app"], target=nodes["ledger"], actor=people["admin"])
        # A node added: the cached graph has no vertex for it.
        extra = node_create(slug="extra", name="Extra", kind="service", actor=people["admin"])
        edge_create(source=nodes["app"], target=extra, actor=people["admin"])
    state = ImpactState.objects.get()
    assert state.reshaped == state.structure

    outcome = impact_recompute()
    assert outcome.ran and not outcome.incremental
    assert Edge.objects.filter(source=nodes["app"]).count() == 2
    _same_as_a_full_recompute()


def test_edges_of_a_node_deleted_since_rebuild_the_graph(lending: Any, people: Any) -> None:
    nodes, _objective = lending
    impact_recompute(force=True)
    edge_create(source=nodes["app"], target=nodes["ledger"], actor=people["admin"])
    # Deleted behind the services' back: the note names a node that is gone.
    Node.objects.filter(slug="app").delete()

    outcome = impact_recompute()
    assert outcome.ran and not outcome.incremental
    assert not Node.objects.filter(slug="app").exists()
    _same_as_a_full_recompute()


def test_a_team_moved_since_makes_the_pass_count_the_map_again(lending: Any, people: Any) -> None:
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    # Audited, no recompute of its own: the counts by team cannot be carried over.
    node_update(node=nodes["api"], changes={"team": people["team_b"]}, actor=people["admin"])
    edge_create(source=nodes["app"], target=nodes["ledger"], actor=people["admin"])
    with CaptureQueriesContext(connection) as queries:
        assert impact_recompute().incremental
    assert any("GROUP BY" in q["sql"] for q in queries.captured_queries), "counted afresh"
    assert stored_now() == counted_now()
    _same_as_a_full_recompute()
