"""Migration 0012 moves the stored ranking from ImpactState's JSON into rows, and back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("dependencies", "0011_node_fewer_indexes")
AFTER = ("dependencies", "0012_bottleneck_rows")
RANKING = [
    {"node": "ledger", "capabilities": ["cap"], "objectives": ["OBJ-1"], "value_at_risk": "900.00"},
    {"node": "api", "capabilities": ["cap"], "objectives": [], "value_at_risk": "0.00"},
    {"node": "app", "capabilities": ["cap"], "objectives": [], "value_at_risk": "0.00"},
]


def _migrate(target: tuple[str, str]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_the_ranking_moves_into_rows_and_back() -> None:
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("dependencies")[0]
    try:
        apps = _migrate(BEFORE)
        apps.get_model("dependencies", "ImpactState").objects.update_or_create(
            pk=1, defaults={"bottlenecks": RANKING}
        )

        apps = _migrate(AFTER)
        rows = apps.get_model("dependencies", "StoredBottleneck").objects.order_by("node")
        assert [(r.node, r.objectives, str(r.value_at_risk)) for r in rows] == [
            ("api", [], "0.00"),
            ("app", [], "0.00"),
            ("ledger", ["OBJ-1"], "900.00"),
        ]

        apps = _migrate(BEFORE)  # back: the JSON again, in rank order
        assert apps.get_model("dependencies", "ImpactState").objects.get().bottlenecks == RANKING
    finally:
        _migrate(leaf)
