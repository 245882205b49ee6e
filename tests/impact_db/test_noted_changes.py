"""The incremental recompute re-reads only the nodes a change named (issue 17, part 2).

The ingest step, links and overrides say which nodes they touched
(`impact_changed(nodes=...)`); the next pass reads just those nodes' intrinsic states,
so its cost follows the change, not the graph. A change that names no node, or a forced
pass (the periodic safety net), still re-reads every node.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.graph.changes import impact_changed
from dependencies.models import ImpactState, IntrinsicChange, Node
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import NodeFactory

# Committed transactions, as in production: the notes are written after the commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("recompute_left_to_the_test"),
]


def _override(slug: str, state: str) -> int:
    Node.objects.filter(slug=slug).update(manual_state=state)
    return Node.objects.get(slug=slug).pk


def _stored() -> list[tuple[Any, ...]]:
    return list(Node.objects.order_by("slug").values_list("slug", "intrinsic_state", "state"))


def test_a_named_change_is_read_alone_and_matches_a_full_recompute(lending: Any) -> None:
    impact_recompute(force=True)  # full: this process holds the result
    impact_changed(nodes=[_override("ledger", "blocked")], reason="test")
    assert IntrinsicChange.objects.count() == 1

    outcome = impact_recompute()
    assert outcome.incremental
    assert Node.objects.get(slug="cap").state == "blocked"
    assert not IntrinsicChange.objects.exists(), "the notes are spent once stored"

    stored = _stored()
    forget_cache()
    full = impact_recompute(force=True)
    assert (full.nodes_written, full.objectives_written) == (0, 0)
    assert _stored() == stored


def test_the_read_does_not_grow_with_the_graph(lending: Any) -> None:
    impact_recompute(force=True)
    impact_changed(nodes=[_override("app", "blocked")], reason="test")
    with CaptureQueriesContext(connection) as small:
        impact_recompute()
    node_reads_small = [q for q in small.captured_queries if "manual_state" in q["sql"]]

    for i in range(200):
        NodeFactory(slug=f"quiet-{i}")
    forget_cache()
    impact_recompute(force=True)
    impact_changed(nodes=[_override("app", "operational")], reason="test")
    with CaptureQueriesContext(connection) as large:
        assert impact_recompute().incremental
    node_reads_large = [q for q in large.captured_queries if "manual_state" in q["sql"]]
    assert len(small.captured_queries) == len(large.captured_queries)
    # The one read of intrinsic inputs names the changed node, not the whole table.
    assert len(node_reads_large) == len(node_reads_small) == 1
    assert "WHERE" in node_reads_large[0]["sql"]


def test_a_change_that_names_no_node_rereads_every_node(lending: Any) -> None:
    impact_recompute(force=True)
    _override("ledger", "blocked")  # changed behind the engine's back ...
    impact_changed(reason="link rules changed")  # ... by a change that cannot say where
    assert ImpactState.objects.get().unscoped == ImpactState.objects.get().requested
    assert impact_recompute().incremental
    assert Node.objects.get(slug="cap").state == "blocked"


def test_a_forced_pass_catches_what_no_change_named(lending: Any) -> None:
    impact_recompute(force=True)
    _override("ledger", "blocked")
    impact_changed(nodes=[], reason="a change that touched no node")
    impact_recompute()
    assert Node.objects.get(slug="cap").state == "operational", "nothing was named"
    impact_recompute(force=True)  # the periodic safety net
    assert Node.objects.get(slug="cap").state == "blocked"


def test_changes_in_one_transaction_are_noted_together(lending: Any) -> None:
    from django.db import transaction

    impact_recompute(force=True)
    with transaction.atomic():
        impact_changed(nodes=[_override("ledger", "blocked")], reason="one")
        impact_changed(nodes=[_override("app", "degraded")], reason="two")
    assert IntrinsicChange.objects.count() == 2
    assert len(set(IntrinsicChange.objects.values_list("requested", flat=True))) == 1
    impact_recompute()
    assert Node.objects.get(slug="app").intrinsic_state == "degraded"
    assert Node.objects.get(slug="ledger").intrinsic_state == "blocked"


def test_a_ticket_change_takes_one_statement_to_note_and_few_to_store(lending: Any) -> None:
    # Round trips are much of a ticket change's cost at 250,000 nodes: the note is one
    # statement (the counter and the nodes together), the pass a fixed handful.
    impact_recompute(force=True)
    pk = _override("ledger", "blocked")
    with CaptureQueriesContext(connection) as noting:
        impact_changed(nodes=[pk], reason="test")
    assert len(noting.captured_queries) == 1
    assert IntrinsicChange.objects.get().requested == ImpactState.objects.get().requested
    with CaptureQueriesContext(connection) as passing:
        outcome = impact_recompute()
    assert outcome.incremental and Node.objects.get(slug="cap").state == "blocked"
    # Lease, state, the noted nodes' inputs, BEGIN, SET LOCAL, lock, nodes, objectives,
    # transitions, ranking, summary, notes spent, COMMIT, release, state; and the map's
    # counts by team carried over (the audit marker, this version's and the last one's
    # counts, the changed nodes and their edges, the new counts, the old ones dropped).
    assert len(passing.captured_queries) <= 21, len(passing.captured_queries)


def test_a_named_change_without_the_state_row_is_still_counted(lending: Any) -> None:
    ImpactState.objects.all().delete()  # a flushed database: the migration's row is gone
    impact_changed(nodes=[_override("ledger", "blocked")], reason="test")
    state = ImpactState.objects.get()
    assert state.requested == 1
    assert list(IntrinsicChange.objects.values_list("requested", flat=True)) == [1]
