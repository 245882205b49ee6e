"""The engine wired to the database: loader, writer, recompute, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dependencies.graph.changes import impact_changed
from dependencies.models import ImpactState, Node, StateTransition
from dependencies.recompute.loader import load_graph, stored_ranking
from dependencies.recompute.runner import forget_cache, impact_recompute
from objectives.models import Objective
from tests.factories import NodeFactory, link_ticket

pytestmark = pytest.mark.django_db


def _block(slug: str, state: str = "blocked") -> None:
    Node.objects.filter(slug=slug).update(manual_state=state)


def test_loader_needs_five_queries_whatever_the_size(lending: Any) -> None:
    with CaptureQueriesContext(connection) as small:
        load_graph()
    for i in range(30):
        NodeFactory(slug=f"extra-{i}")
    with CaptureQueriesContext(connection) as large:
        loaded = load_graph()
    assert len(small.captured_queries) == len(large.captured_queries) == 5
    assert loaded.graph.vertex_count == 4 + 30 + 1


def test_recompute_stores_states_root_causes_and_history(lending: Any) -> None:
    _nodes, objective = lending
    impact_recompute(force=True)
    version = ImpactState.objects.get().version

    _block("ledger")
    impact_recompute(force=True)

    cap = Node.objects.get(slug="cap")
    assert (cap.state, cap.root_causes) == ("blocked", ["ledger"])
    assert Node.objects.get(slug="ledger").intrinsic_state == "blocked"
    assert Node.objects.get(slug="api").state == "blocked"
    objective.refresh_from_db()
    assert (objective.state, objective.root_causes) == ("blocked", ["ledger"])
    assert objective.blocked_since is not None
    state = ImpactState.objects.get()
    assert state.version == version + 1
    assert stored_ranking() == [
        {
            "node": "ledger",
            "capabilities": ["cap"],
            "objectives": ["OBJ-1"],
            "value_at_risk": "1000.00",
        }
    ]
    moved = {
        (t.node.slug if t.node else t.objective.key, t.from_state, t.to_state)
        for t in StateTransition.objects.all()
    }
    assert moved == {
        ("ledger", "operational", "blocked"),
        ("api", "operational", "blocked"),
        ("cap", "operational", "blocked"),
        ("OBJ-1", "operational", "blocked"),
    }


def test_a_blocking_ticket_blocks_its_node_and_a_soft_edge_degrades(lending: Any) -> None:
    nodes, _objective = lending
    link_ticket(nodes["app"], priority=1)
    link_ticket(nodes["ledger"], priority=4, is_blocking=False)
    impact_recompute(force=True)
    assert Node.objects.get(slug="app").state == "blocked"
    assert Node.objects.get(slug="ledger").state == "operational"
    cap = Node.objects.get(slug="cap")
    assert (cap.state, cap.root_causes) == ("degraded", ["app"])


def test_incremental_update_equals_a_full_recompute(lending: Any) -> None:
    impact_recompute(force=True)  # full: this process now holds the result
    _block("app")
    _block("ledger", "degraded")
    outcome = impact_recompute(force=True)
    assert outcome.incremental
    stored = list(
        Node.objects.order_by("slug").values_list("slug", "state", "root_causes", "blocked_since")
    )
    objective = Objective.objects.values_list("state", "root_causes").get()

    forget_cache()
    full = impact_recompute(force=True)
    assert not full.incremental
    assert (full.nodes_written, full.objectives_written) == (0, 0)
    assert (
        list(
            Node.objects.order_by("slug").values_list(
                "slug", "state", "root_causes", "blocked_since"
            )
        )
        == stored
    )
    assert Objective.objects.values_list("state", "root_causes").get() == objective


def test_structure_change_forces_a_full_recompute(lending: Any) -> None:
    impact_recompute(force=True)
    ImpactState.objects.update(structure=99)
    assert not impact_recompute(force=True).incremental


def test_blocked_since_is_kept_while_blocked_and_reset_after(lending: Any) -> None:
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _block("ledger")
        impact_recompute(force=True)
    with time_machine.travel(start + dt.timedelta(hours=5), tick=False):
        link_ticket(Node.objects.get(slug="app"))  # another change, still blocked
        impact_recompute(force=True)
        assert Objective.objects.get().blocked_since == start
    with time_machine.travel(start + dt.timedelta(hours=6), tick=False):
        Node.objects.update(manual_state="operational")
        impact_recompute(force=True)
        assert Objective.objects.get().blocked_since is None
    later = start + dt.timedelta(hours=9)
    with time_machine.travel(later, tick=False):
        _block("ledger")
        impact_recompute(force=True)
        assert Objective.objects.get().blocked_since == later


def test_nothing_requested_means_nothing_done(lending: Any) -> None:
    impact_recompute(force=True)
    outcome = impact_recompute()
    assert not outcome.ran


def test_a_transaction_of_many_changes_queues_one_recompute(
    lending: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(1000):
            impact_changed(reason="ticket changed")
        impact_changed(structure=True)
    assert len(callbacks) == 1
    before = ImpactState.objects.get()
    callbacks[0]()  # eager in tests: records the request and runs the recompute
    after = ImpactState.objects.get()
    assert after.requested == before.requested + 1
    assert after.structure == before.structure + 1
    assert after.computed == after.requested


def test_service_changes_trigger_a_recompute(
    lending: Any, client_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    impact_recompute(force=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("admin").patch(
            "/api/nodes/ledger/", {"manual_state": "blocked"}, format="json"
        )
    assert response.status_code == 200
    body = client_as("member").get("/api/objectives/OBJ-1/").json()
    assert (body["state"], body["root_causes"]) == ("blocked", ["ledger"])


def test_a_held_lease_makes_a_second_run_step_aside(lending: Any) -> None:
    import datetime

    from django.utils import timezone

    ImpactState.objects.update(
        claimed_by="other-worker", claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert not impact_recompute(force=True).ran
    ImpactState.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert impact_recompute(force=True).ran  # an expired lease is taken over


def test_large_writes_go_by_copy_and_store_the_same(lending: Any, monkeypatch: Any) -> None:
    """Past COPY_THRESHOLD rows the writer COPYs into a temporary table (PostgreSQL); the
    stored results and the history are the same as by the small-write path."""
    from dependencies.recompute import writer

    _block("ledger")
    impact_recompute(force=True)
    by_arrays = (
        list(Node.objects.order_by("slug").values_list("slug", "state", "root_causes")),
        sorted(
            (t.node.slug if t.node else t.objective.key, t.to_state)
            for t in StateTransition.objects.select_related("node", "objective")
        ),
    )
    StateTransition.objects.all().delete()
    Node.objects.update(state="operational", intrinsic_state="operational", root_causes=[])
    Objective.objects.update(state="operational", root_causes=[])
    forget_cache()
    monkeypatch.setattr(writer, "COPY_THRESHOLD", 0)
    impact_recompute(force=True)
    by_copy = (
        list(Node.objects.order_by("slug").values_list("slug", "state", "root_causes")),
        sorted(
            (t.node.slug if t.node else t.objective.key, t.to_state)
            for t in StateTransition.objects.select_related("node", "objective")
        ),
    )
    assert by_copy == by_arrays
    assert ("cap", "blocked", ["ledger"]) in by_copy[0]
    # Each row written says by which version of the results (GET /api/map/?since=).
    version = ImpactState.objects.get(pk=1).version
    written = Node.objects.exclude(state="operational").values_list("results_version", flat=True)
    assert set(written) == {version}
    assert set(Objective.objects.values_list("results_version", flat=True)) == {version}


def test_copy_keeps_reasons_and_root_causes_byte_for_byte(lending: Any, monkeypatch: Any) -> None:
    """COPY's text format gives backslashes, tabs and newlines a meaning: the writer escapes
    them (JSON writes non-ASCII slugs as \\u escapes, reasons are free text)."""
    from dependencies.recompute import writer

    Node.objects.filter(slug="ledger").update(slug="café\\ledger", manual_state="blocked")
    monkeypatch.setattr(writer, "COPY_THRESHOLD", 0)
    reason = 'ticket "INC1"\tsaid:\nC:\\temp \\N é'
    impact_recompute(force=True, reason=reason)

    cap = Node.objects.get(slug="cap")
    assert (cap.state, cap.root_causes) == ("blocked", ["café\\ledger"])
    assert cap.blocked_since is not None
    moved = StateTransition.objects.get(node=cap)
    assert (moved.reason, moved.root_causes) == (reason, ["café\\ledger"])
    assert moved.at == cap.blocked_since


def test_a_full_pass_rewrites_exactly_the_rows_that_differ_from_the_results(lending: Any) -> None:
    # The writer finds them a column at a time (state, intrinsic state, blocked-since, root
    # causes): each stored column tampered with on its own is found and put right.
    _block("ledger")
    impact_recompute(force=True)
    rows = {n.slug: n for n in Node.objects.all()}
    assert rows["api"].state == "blocked" and rows["api"].root_causes == ["ledger"]
    Node.objects.filter(slug="api").update(root_causes=["someone-else"])
    Node.objects.filter(slug="app").update(blocked_since=rows["cap"].blocked_since - HOUR)
    Node.objects.filter(slug="ledger").update(intrinsic_state="operational")
    # A blocked node stored as degraded: blocked again, and blocked since this pass.
    Node.objects.filter(slug="cap").update(state="degraded")
    forget_cache()  # a new worker: no cached result, every row compared
    outcome = impact_recompute(force=True)

    assert outcome.nodes_written == 4
    after = {n.slug: n for n in Node.objects.all()}
    for slug in ("api", "cap", "ledger", "app"):
        assert (after[slug].state, after[slug].intrinsic_state, after[slug].root_causes) == (
            rows[slug].state,
            rows[slug].intrinsic_state,
            rows[slug].root_causes,
        )
    assert after["app"].blocked_since is None
    assert after["cap"].blocked_since > rows["cap"].blocked_since
    forget_cache()
    assert impact_recompute(force=True).nodes_written == 0  # nothing differs any more


HOUR = dt.timedelta(hours=1)


def test_an_edit_of_a_node_read_before_a_recompute_keeps_the_recompute_s_results(
    lending: Any, people: Any
) -> None:
    """A form reads the node, a recompute stores new results, the form saves: the results
    stay (an update writes the fields people edit, not the engine's)."""
    from dependencies.graph.services import node_update
    from objectives.services import objective_update

    _nodes, objective = lending
    read_by_the_form = Node.objects.get(slug="cap")
    objective_read = Objective.objects.get(pk=objective.pk)
    _block("ledger")
    impact_recompute(force=True)

    node_update(node=read_by_the_form, changes={"name": "Lending"}, actor=people["admin"])
    objective_update(objective=objective_read, changes={"title": "Lend"}, actor=people["admin"])

    cap = Node.objects.get(slug="cap")
    assert (cap.name, cap.state, cap.root_causes) == ("Lending", "blocked", ["ledger"])
    assert cap.blocked_since is not None
    saved = Objective.objects.get(pk=objective.pk)
    assert (saved.title, saved.state, saved.root_causes) == ("Lend", "blocked", ["ledger"])


def test_a_ticket_change_is_stored_without_waiting_for_the_disk(
    lending: Any, monkeypatch: Any
) -> None:
    # The lock on the state row turns synchronous_commit off for the storing transaction.
    from dependencies.recompute import runner

    seen: list[str] = []
    store_update = runner.store_update

    def watching(*args: Any, **kwargs: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return store_update(*args, **kwargs)

    monkeypatch.setattr(runner, "store_update", watching)
    impact_recompute(force=True)
    _block("ledger")
    assert impact_recompute(force=True).incremental
    assert seen == ["off"]
