"""The loader's reads (dependencies.recompute.loader): outside a transaction the edges are
read on a connection of their own, at the same time as the nodes; the graph is the same."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dependencies.models import Edge, Node
from dependencies.recompute.loader import LoadedGraph, load_graph

# Committed rows, as in production: a second connection sees only those.
pytestmark = pytest.mark.django_db(transaction=True)


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _shape(loaded: LoadedGraph) -> tuple[Any, ...]:
    graph, stored = loaded.graph, loaded.nodes
    return (
        graph.slugs,
        graph.intrinsic,
        graph.hard,
        graph.soft,
        graph.groups,
        sorted(map(sorted, graph.dependents)),
        graph.components,
        [stored[slug] for slug in stored],
        loaded.objectives,
    )


def test_the_edges_read_apart_give_the_graph_read_in_one_transaction(lending: Any) -> None:
    nodes, _objective = lending
    Edge.objects.create(
        source=nodes["app"], target=nodes["ledger"], redundancy_group="db", min_operational=1
    )
    Edge.objects.create(source=nodes["app"], target=nodes["api"], redundancy_group="db")
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    backends = _backends()

    with CaptureQueriesContext(connection) as apart:
        loaded_apart = load_graph()
    with transaction.atomic(), CaptureQueriesContext(connection) as together:
        loaded_together = load_graph()

    assert len(together.captured_queries) == 5
    assert len(apart.captured_queries) == 4  # the edges went on the other connection
    assert _shape(loaded_apart) == _shape(loaded_together)
    assert loaded_apart.graph.groups[loaded_apart.graph.vertex("app")]
    assert _backends() == backends  # the other connection is closed
