"""The bottleneck ranking, a row per entry (StoredBottleneck): a change writes only the entries
it moved. "Rewritten" is read from PostgreSQL's `xmin`, which a row gets anew whenever it is
written: an entry no change touched keeps it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.graph.changes import impact_changed
from dependencies.models import Edge, ImpactState, Node, StoredBottleneck
from dependencies.recompute.loader import stored_ranking
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import NodeFactory, ObjectiveFactory

# Committed transactions, as in production: each pass writes in a transaction of its own,
# which `xmin` tells apart, and a change's notes are written after its commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("recompute_left_to_the_test"),
]


@pytest.fixture
def three_causes(db: Any) -> dict[str, Node]:
    """Three capabilities, each needing one service, each needed by an objective of its own
    value; every service blocked: three entries in the ranking."""
    services = {}
    for i, value in enumerate((300, 200, 100), start=1):
        capability = NodeFactory(slug=f"cap-{i}", kind="capability")
        services[f"svc-{i}"] = NodeFactory(slug=f"svc-{i}", manual_state="blocked")
        Edge.objects.create(source=capability, target=services[f"svc-{i}"])
        ObjectiveFactory(key=f"OBJ-{i}", value_at_stake=value).requirements.create(node=capability)
    return services


def _xmins() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT node, xmin::text FROM dependencies_storedbottleneck")
        return dict(cursor.fetchall())


def _ranking_statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"].split()[0]
        for q in queries.captured_queries
        if "dependencies_storedbottleneck" in q["sql"]
    ]


def _change(service: Node, manual_state: str) -> Any:
    Node.objects.filter(pk=service.pk).update(manual_state=manual_state)
    impact_changed(nodes=[service.pk], reason="test: an override changed")
    with CaptureQueriesContext(connection) as queries:
        outcome = impact_recompute()
    assert outcome.incremental
    return queries


def test_a_change_writes_only_the_ranking_entries_it_moved(three_causes: dict[str, Node]) -> None:
    impact_recompute(force=True)
    assert [b["node"] for b in stored_ranking()] == ["svc-1", "svc-2", "svc-3"]
    assert stored_ranking()[0] == {
        "node": "svc-1",
        "capabilities": ["cap-1"],
        "objectives": ["OBJ-1"],
        "value_at_risk": "300.00",
    }
    before = _xmins()

    # Unblocked: its entry goes, one DELETE, and no other entry is read or written.
    queries = _change(three_causes["svc-2"], "")
    assert _ranking_statements(queries) == ["DELETE"]
    assert [b["node"] for b in stored_ranking()] == ["svc-1", "svc-3"]
    assert _xmins() == {k: v for k, v in before.items() if k != "svc-2"}

    # Blocked again: its entry comes back, one INSERT of one row.
    queries = _change(three_causes["svc-2"], "blocked")
    assert _ranking_statements(queries) == ["INSERT"]
    after = _xmins()
    assert {k: after[k] for k in ("svc-1", "svc-3")} == {k: before[k] for k in ("svc-1", "svc-3")}
    assert [b["node"] for b in stored_ranking()] == ["svc-1", "svc-2", "svc-3"]

    # A change that moves no entry (svc-3 stays blocked, by an override now said twice).
    queries = _change(three_causes["svc-3"], "blocked")
    assert _ranking_statements(queries) == []
    assert _xmins() == after


def test_a_full_pass_writes_no_entry_that_is_stored_already(three_causes: dict[str, Node]) -> None:
    impact_recompute(force=True)
    before, version = _xmins(), ImpactState.objects.get().version
    forget_cache()  # a new worker: the stored rows are read and compared
    impact_recompute(force=True)
    assert _xmins() == before
    assert ImpactState.objects.get().version == version

    # A stored entry that is wrong (edited by hand, or a crash between two writers) is put right.
    StoredBottleneck.objects.filter(node="svc-3").update(objectives=["OBJ-9"])
    StoredBottleneck.objects.create(node="gone", capabilities=[], objectives=[], value_at_risk=0)
    forget_cache()
    impact_recompute(force=True)
    assert set(_xmins()) == {"svc-1", "svc-2", "svc-3"}
    assert _xmins()["svc-1"] == before["svc-1"]
    assert stored_ranking()[2]["objectives"] == ["OBJ-3"]
