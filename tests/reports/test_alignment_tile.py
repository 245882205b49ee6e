"""The dashboard's alignment tile (rendered through the reports' template tag, so the
dashboard's app, below the reports in the layers, imports nothing of them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dependencies.map.drawing import forget_map_cache, result_cache
from dependencies.models import Node
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.reports.conftest import Org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_result_of_another_test() -> Any:
    """The recompute keeps its last result in memory, with the ids of that test's rows."""
    forget_cache()
    yield
    forget_cache()


def _dashboard(org: Org) -> str:
    client = Client()
    client.force_login(org.people["leadership"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_tile_shows_the_share_and_links_to_the_report(org: Org) -> None:
    now = timezone.now()
    org.ticket(linked=(org.ledger,), updated_at=now)  # supports OBJ-1 through two edges
    org.ticket(linked=(org.island,), updated_at=now)
    org.ticket(updated_at=now)
    body = _dashboard(org)
    assert "Work aligned to objectives" in body
    assert "33.3 %" in body and "1 of 3 tickets active in the last 30 days" in body
    assert 'href="/reports/alignment/"' in body


def test_no_activity_is_a_dash_not_zero(org: Org) -> None:
    body = _dashboard(org)
    tile = body[body.index("Work aligned to objectives") :][:400]
    assert "—" in tile and "no ticket activity in the last 30 days" in tile


def _tables_read(org: Org) -> set[str]:
    with CaptureQueriesContext(connection) as ctx:
        _dashboard(org)
    # The whole reads (the freshness checks read one id of each, newest first).
    reads = {
        "dependencies_edge": '"dependencies_edge"."source_id"',
        "integrations_ticketlink": '"integrations_ticketlink"."ticket_id"',
    }
    return {
        table for q in ctx.captured_queries for table, column in reads.items() if column in q["sql"]
    }


def test_the_tile_is_kept_while_nothing_it_reads_changes(org: Org) -> None:
    """At 250,000 nodes reading the graph upwards takes seconds: the dashboard must not pay
    it on every visit, nor after a ticket changes (the graph's shape has not)."""
    forget_map_cache()
    now = timezone.now()
    org.ticket(linked=(org.ledger,), updated_at=now)
    assert _tables_read(org) == {"dependencies_edge", "integrations_ticketlink"}
    assert _tables_read(org) == set()  # the next visit: nothing re-read

    org.ticket(linked=(org.island,), updated_at=now)
    assert _tables_read(org) == {"integrations_ticketlink"}  # the tickets again, not the graph
    assert "50.0 %" in _dashboard(org)


def test_another_web_process_reads_the_tile_the_first_built(org: Org) -> None:
    """gunicorn runs several processes: after a change one builds the tile (reading the
    graph upwards) and the others read its result from the shared cache."""
    impact_recompute(force=True)  # shared once results are stored
    forget_map_cache()
    org.ticket(linked=(org.ledger,), updated_at=timezone.now())
    assert _tables_read(org) == {"dependencies_edge", "integrations_ticketlink"}
    result_cache._entries.clear()  # another process: the shared cache, nothing of its own
    assert _tables_read(org) == set()
    assert "100.0 %" in _dashboard(org)


def test_the_tile_outlives_a_change_of_the_results(org: Org) -> None:
    """The share reads no state: a recompute that stores new states (every ticket moves
    some) does not send the next visitor to read the graph upwards."""
    impact_recompute(force=True)
    forget_map_cache()
    org.ticket(linked=(org.ledger,), updated_at=timezone.now())
    assert _tables_read(org) == {"dependencies_edge", "integrations_ticketlink"}
    before = impact_state().version
    Node.objects.filter(pk=org.island.pk).update(manual_state="blocked")
    impact_recompute(force=True)
    assert impact_state().version > before
    assert _tables_read(org) == set()
