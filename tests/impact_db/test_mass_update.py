"""A store that moves most of the organisation (a first run) updates the node table without
the indexes that hold `state` and builds them again in the same transaction."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection

from dependencies.models import Node
from dependencies.recompute import writer
from dependencies.recompute.runner import forget_cache, impact_recompute

pytestmark = pytest.mark.django_db

STATE_INDEXES = {"node_state_name_idx", "node_capability_state_idx"}


def _indexes() -> dict[str, tuple[int, str]]:
    """The node table's indexes: name -> (oid, definition). A rebuilt index has a new oid."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.oid, pg_get_indexdef(c.oid)
              FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid
             WHERE x.indrelid = 'dependencies_node'::regclass
            """
        )
        return {name: (oid, definition) for name, oid, definition in cursor.fetchall()}


def _results() -> list[tuple[str, str, str, list[str]]]:
    return list(
        Node.objects.order_by("slug").values_list("slug", "state", "intrinsic_state", "root_causes")
    )


def _first_run(monkeypatch: Any, *, mass_from: int) -> None:
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    monkeypatch.setattr(writer, "COPY_THRESHOLD", 0)
    monkeypatch.setattr(writer, "MASS_UPDATE_ROWS", mass_from)
    forget_cache()
    impact_recompute(force=True)


def test_a_mass_update_stores_what_the_plain_one_does_and_rebuilds_the_same_indexes(
    lending: Any, monkeypatch: Any
) -> None:
    before = _indexes()
    assert set(before) >= STATE_INDEXES

    _first_run(monkeypatch, mass_from=10**9)
    plain = _results()
    assert _indexes() == before  # the plain path leaves them alone

    Node.objects.update(state="operational", intrinsic_state="operational", root_causes=[])
    _first_run(monkeypatch, mass_from=1)
    assert _results() == plain
    assert ("cap", "blocked", "operational", ["ledger"]) in plain

    after = _indexes()
    assert set(after) == set(before)
    for name, (oid, definition) in after.items():
        assert definition == before[name][1], name
        # Rebuilt: only the two that hold `state`; the others kept as they were.
        assert (oid != before[name][0]) == (name in STATE_INDEXES), name


def test_a_reader_holding_the_table_makes_it_update_with_the_indexes_in_place(
    lending: Any, monkeypatch: Any
) -> None:
    before = _indexes()
    monkeypatch.setattr(writer, "MASS_UPDATE_LOCK_WAIT", "100ms")
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=False,
    ) as reader:
        reader.execute("LOCK TABLE dependencies_node IN ACCESS SHARE MODE")
        _first_run(monkeypatch, mass_from=1)
        reader.rollback()

    assert ("cap", "blocked", "operational", ["ledger"]) in _results()
    assert _indexes() == before
