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


def _ticket_statements(queries: list[dict[str, str]]) -> list[str]:
    table = Ticket._meta.db_table
    return [
        q["sql"].split()[0].upper()
        for q in queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fingerprint pre-read is PostgreSQL's"
)
def test_unchanged_pages_are_recognised_by_their_fingerprints_alone(
    quiet_simulator: SimulatorServer,
) -> None:
    """An unchanged page costs one read: not even an INSERT … ON CONFLICT is sent (it would
    lock every conflicting row). A changed ticket still goes through."""
    from django.test.utils import CaptureQueriesContext

    connector = make_connector(quiet_simulator)
    sync_connector(connector=connector, connector_options={"sleep": lambda s: None})
    assert not Ticket.objects.filter(fingerprint__isnull=True).exists()

    connector.refresh_from_db()
    with CaptureQueriesContext(connection) as captured:
        again = sync_connector(
            connector=connector, full=True, connector_options={"sleep": lambda s: None}
        )
    assert again is not None and again.unchanged == len(quiet_simulator.store.incidents)
    assert _ticket_statements(captured.captured_queries) == []
    reads = [q for q in captured.captured_queries if "jsonb_array_elements_text" in q["sql"]]
    assert len(reads) == again.pages  # one fingerprint read a page

    # One incident changes at the source: exactly one row is written, by the upsert.
    changed = next(iter(quiet_simulator.store.incidents.by_sys_id()))
    with quiet_simulator.store.lock:
        changed.short_description = "Changed at the source"
        changed.sys_mod_count += 1
    connector.refresh_from_db()
    before = _ticket_table_writes()
    with CaptureQueriesContext(connection) as captured:
        third = sync_connector(
            connector=connector, full=True, connector_options={"sleep": lambda s: None}
        )
    assert third is not None and (third.updated, third.created) == (1, 0)
    assert _ticket_statements(captured.captured_queries) == ["INSERT"]
    assert _ticket_table_writes()[1] - before[1] == 1
    assert Ticket.objects.get(external_id=changed.sys_id).title == "Changed at the source"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fingerprint pre-read is PostgreSQL's"
)
def test_a_stale_fingerprint_is_refreshed_once_without_counting_the_ticket_as_changed(
    quiet_simulator: SimulatorServer,
) -> None:
    """Rows written before fingerprints existed (or by other means) are compared by value;
    equal ones only get their fingerprint stored, so the sync after that skips them."""
    connector = make_connector(quiet_simulator)
    sync_connector(connector=connector, connector_options={"sleep": lambda s: None})
    total = Ticket.objects.count()
    Ticket.objects.update(fingerprint=None)

    connector.refresh_from_db()
    before = _ticket_table_writes()
    healed = sync_connector(
        connector=connector, full=True, connector_options={"sleep": lambda s: None}
    )
    assert healed is not None and (healed.created, healed.updated) == (0, 0)
    assert healed.unchanged == total
    assert _ticket_table_writes()[1] - before[1] == total  # the fingerprints, once
    assert not Ticket.objects.filter(fingerprint__isnull=True).exists()

    connector.refresh_from_db()
    before = _ticket_table_writes()
    sync_connector(connector=connector, full=True, connector_options={"sleep": lambda s: None})
    assert _ticket_table_writes() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_fingerprint_read_probes_the_unique_index_even_with_stale_statistics() -> None:
    """Right after a first sync the planner's statistics still describe an empty table;
    the pre-read must not turn into a scan of all the connector's tickets per page."""
    from integrations.models import Connector

    connector = Connector.objects.create(
        slug="plan", name="Plan", kind="servicenow", base_url="https://example.invalid"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")  # statistics of an empty table
    Ticket.objects.bulk_create(
        Ticket(
            connector=connector,
            external_id=f"id-{n}",
            key=f"INC{n}",
            status_category="open",
            priority=3,
            updated_at="2026-01-01T00:00:00Z",
        )
        for n in range(5000)
    )
    from integrations.ticket_store import _page_cursor, stored_fingerprints_query

    sql, params = stored_fingerprints_query(connector, [f"id-{n}" for n in range(0, 5000, 50)])
    with _page_cursor() as cursor:
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) == 100
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "ticket_unique_per_connector" in plan, plan
    assert "Seq Scan" not in plan and "Hash Join" not in plan, plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fingerprint pre-read is PostgreSQL's"
)
def test_verify_repairs_a_row_edited_behind_the_syncs_back(
    quiet_simulator: SimulatorServer,
) -> None:
    """A full sync trusts stored fingerprints; `verify` compares by value and rewrites only
    what differs (here: one row edited by hand in the database)."""
    connector = make_connector(quiet_simulator)
    sync_connector(connector=connector, connector_options={"sleep": lambda s: None})
    edited = Ticket.objects.order_by("id").first()
    original = edited.title
    Ticket.objects.filter(pk=edited.pk).update(title="Edited by hand")

    connector.refresh_from_db()
    trusting = sync_connector(
        connector=connector, full=True, connector_options={"sleep": lambda s: None}
    )
    assert trusting is not None and trusting.updated == 0
    assert Ticket.objects.get(pk=edited.pk).title == "Edited by hand"

    connector.refresh_from_db()
    before = _ticket_table_writes()
    verified = sync_connector(
        connector=connector, full=True, verify=True, connector_options={"sleep": lambda s: None}
    )
    assert verified is not None and (verified.created, verified.updated) == (0, 1)
    assert verified.unchanged == Ticket.objects.count() - 1
    assert Ticket.objects.get(pk=edited.pk).title == original
    assert _ticket_table_writes()[1] - before[1] == 1  # that row only
