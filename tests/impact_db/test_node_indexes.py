"""The indexes left on dependencies_node (migration 0011) still serve the pages' queries.

The plans are read with sequential scans priced out (`enable_seqscan = off`): with a few rows
the planner would rightly scan the table, so this asks whether an index *can* serve each query
(the shape of the index), not what a large table's statistics would choose. A query that no
index serves still gets a sequential scan, and the test fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from dependencies.choices import State
from dependencies.graph.views import NodeListPage
from dependencies.map.query import MapFilters, node_queryset
from dependencies.models import Node

pytestmark = pytest.mark.django_db


@pytest.fixture
def nodes() -> None:
    """3,000 nodes, one in ten a capability, a third blocked: the proportions of an
    organisation, enough rows for a page of 50 to be read from an index."""
    Node.objects.bulk_create(
        Node(
            slug=f"n-{i}",
            name=f"Node {i}",
            kind="capability" if i % 10 == 0 else "service",
            state=State.BLOCKED if i % 3 == 0 else State.OPERATIONAL,
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE dependencies_node")


def _plan(queryset: QuerySet[Any]) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("page", "queryset", "index"),
    [
        (  # dependencies/graph/views.py: a page of the list, worst state first
            "the dependencies list",
            lambda: NodeListPage().get_queryset()[:50],
            "node_state_name_idx",
        ),
        (  # the dependencies list filtered by state (NodeFilterSet)
            "the dependencies list, one state",
            lambda: NodeListPage().get_queryset().filter(state__in=[State.BLOCKED])[:50],
            "node_state_name_idx",
        ),
        (  # dependencies/escalations/engine.py and dependencies/map/dashboard.py
            "escalations and the dashboard",
            lambda: Node.objects.filter(state=State.BLOCKED, blocked_since__isnull=False),
            "node_state_name_idx",
        ),
        (  # reports/outcomes.py: blocked capabilities
            "reports, blocked capabilities",
            lambda: Node.objects.filter(kind="capability", state=State.BLOCKED),
            "node_capability_state_idx",
        ),
        (  # dependencies/map/tables.py: the affected capabilities
            "the map's capability table",
            lambda: node_queryset(MapFilters(), affected_only=True).filter(kind="capability"),
            "node_capability_state_idx",
        ),
    ],
)
def test_an_index_serves_the_page_query(nodes: None, page: str, queryset: Any, index: str) -> None:
    plan = _plan(queryset())
    assert index in plan, f"{page}: {plan}"
    assert "Seq Scan on dependencies_node" not in plan, f"{page}: {plan}"


def test_the_node_table_keeps_room_for_hot_updates_and_no_unused_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'dependencies_node'",
        )
        assert cursor.fetchone()[0] == ["fillfactor=80"]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'dependencies_node'")
        names = {name for (name,) in cursor.fetchall()}
    assert not {n for n in names if n.endswith("_like")}
    assert len(names) == 8, sorted(names)
