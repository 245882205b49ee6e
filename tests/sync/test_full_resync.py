"""A full re-read of an unchanged source writes nothing (issue 4: checked with
pg_stat_user_tables, not only in the benchmark)."""

from __future__ import annotations

import pytest
from django.db import connection

from integrations.models import SyncRun, Ticket
from integrations.simulator import SimulatorServer
from integrations.sync import sync_connector
from tests.sync.conftest import make_connector

pytestmark = pytest.mark.django_db(transaction=True)


def _ticket_table_writes() -> tuple[int, int, int]:
    """(inserted, updated, deleted) rows of the ticket table, this session's counts included."""
    with connection.cursor() as cursor:
        # PostgreSQL 15+ flushes a session's counters when it goes idle, at most once a
        # second, so without forcing it both readings could be the same stale number.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = %s",
            [Ticket._meta.db_table],
        )
        inserted, updated, deleted = cursor.fetchone()
    return inserted, updated, deleted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stat_user_tables is PostgreSQL's")
def test_full_resync_of_an_unchanged_source_writes_no_row(
    quiet_simulator: SimulatorServer,
) -> None:
    connector = make_connector(quiet_simulator)
    before_first = _ticket_table_writes()
    first = sync_connector(connector=connector, connector_options={"sleep": lambda s: None})
    assert first is not None and first.outcome == SyncRun.Outcome.SUCCEEDED, first.error
    after_first = _ticket_table_writes()
    total = len(quiet_simulator.store.incidents)
    # The counters are live: the first sync's inserts show.
    assert after_first[0] - before_first[0] == first.created == total

    connector.refresh_from_db()
    again = sync_connector(
        connector=connector, full=True, connector_options={"sleep": lambda s: None}
    )
    assert again is not None and again.outcome == SyncRun.Outcome.SUCCEEDED, again.error
    assert again.fetched == total  # every ticket was read again...
    assert (again.created, again.updated, again.unchanged) == (0, 0, total)
    assert again.marked_missing == 0
    assert _ticket_table_writes() == after_first  # ...and not one row written
