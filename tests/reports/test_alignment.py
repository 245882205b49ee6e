"""Report `alignment`: the share of ticket activity that supports an objective, and orphans."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.map.drawing import forget_map_cache
from reports import alignment
from reports.registry import get
from tests.reports.conftest import Org, at

pytestmark = pytest.mark.django_db


def test_no_tickets_is_no_share_not_zero(org: Org) -> None:
    result = alignment.build(org.window())
    assert result["tickets"] == 0
    assert result["aligned_pct"] is None
    assert result["by_team"] == [] and result["by_connector"] == [] and result["orphans"] == []
    assert [w["week"] for w in result["by_week"]] == ["2026-11-02", "2026-11-09"]
    assert all(w["aligned_pct"] is None for w in result["by_week"])
    assert alignment.alignment_share(org.window())["aligned_pct"] is None


def _mix(org: Org) -> dict[str, int]:
    """Five tickets with activity in the window and one without."""
    return {
        # Supports OBJ-1 only through two depends_on steps: ledger <- api <- lending <- OBJ-1.
        "chain": org.ticket(key="INC1", linked=(org.ledger,), assignment_group="Lending Squad").pk,
        "direct": org.ticket(
            key="INC2", linked=(org.objective,), assignment_group="LENDING  squad"
        ).pk,
        "island": org.ticket(key="INC3", linked=(org.island,), assignment_group="Payments Ops").pk,
        # Linked to nodes of two teams; worked by team B: counted once, for team B.
        "two_teams": org.ticket(
            key="INC4", linked=(org.island, org.api), assignment_group="Payments Ops"
        ).pk,
        "orphan": org.ticket(
            key="INC5", connector=org.jira, assignment_group="Service Desk", ci="core-ledger"
        ).pk,
        "outside": org.ticket(
            key="INC6", opened_at=at(-20), updated_at=at(-10), linked=(org.objective,)
        ).pk,
    }


def test_share_overall_per_team_and_per_connector(org: Org) -> None:
    _mix(org)
    result = alignment.build(org.window())
    assert (result["tickets"], result["aligned"], result["aligned_pct"]) == (5, 3, 60.0)
    by_team = {
        row["name"]: (row["tickets"], row["aligned"], row["aligned_pct"])
        for row in result["by_team"]
    }
    assert by_team == {"Team A": (2, 2, 100.0), "Team B": (2, 1, 50.0), "Unassigned": (1, 0, 0.0)}
    assert [row["team"] for row in result["by_team"]] == ["team-a", "team-b", None]
    by_connector = {
        row["connector"]: (row["tickets"], row["aligned"]) for row in result["by_connector"]
    }
    assert by_connector == {"snow": (4, 3), "jira": (1, 0)}


def test_the_orphan_queue_has_only_tickets_linked_to_nothing_with_suggestions(org: Org) -> None:
    ids = _mix(org)
    result = alignment.build(org.window())
    assert result["orphans_count"] == 1
    (orphan,) = result["orphans"]
    assert (orphan["ticket"], orphan["id"], orphan["team"]) == ("INC5", ids["orphan"], None)
    assert orphan["suggestions"] == [
        {
            "kind": "node",
            "slug": "core-ledger",
            "name": "Core Ledger",
            "team": "team-b",
            "field": "ci",
            "matched": "core-ledger",
        }
    ]


def test_an_objective_key_in_the_title_is_suggested(org: Org) -> None:
    org.ticket(key="RT#7", title="Go-live for obj-1 slips", assignment_group="")
    (orphan,) = alignment.build(org.window())["orphans"]
    assert [(s["kind"], s.get("key"), s["field"]) for s in orphan["suggestions"]] == [
        ("objective", "OBJ-1", "title")
    ]


def test_a_ticket_counts_in_each_week_it_was_active(org: Org) -> None:
    org.ticket(opened_at=at(1), updated_at=at(9), resolved_at=at(9), linked=(org.api,))
    org.ticket(opened_at=at(8), updated_at=at(8))
    weeks = {
        w["week"]: (w["tickets"], w["aligned"], w["aligned_pct"])
        for w in alignment.build(org.window())["by_week"]
    }
    assert weeks == {"2026-11-02": (1, 1, 100.0), "2026-11-09": (2, 1, 50.0)}


def test_the_team_filter_keeps_that_teams_tickets(org: Org) -> None:
    _mix(org)
    result = alignment.build(org.window(team="team-b"))
    assert (result["tickets"], result["aligned"]) == (2, 1)
    assert [row["name"] for row in result["by_team"]] == ["Team B"]
    assert result["orphans"] == []


def test_it_is_registered_with_tables_and_charts(org: Org) -> None:
    _mix(org)
    report = get("alignment")
    assert report is not None
    result = report.build(org.window())
    assert json.loads(json.dumps(result)) == result  # the API serves it as is
    tables = {t.name: t for t in report.tables(result)}
    assert list(tables) == ["by_team", "by_connector", "by_week", "orphans"]
    assert tables["orphans"].rows[0]["suggested"] == "node core-ledger (ci “core-ledger”)"
    charts = {c.name: c for c in report.charts(result)}
    assert charts["aligned_by_week"].datasets[0]["data"] == [60.0, None]
    assert charts["aligned_by_team"].labels == ["Team A", "Team B", "Unassigned"]


def test_queries_do_not_grow_with_the_tickets(org: Org) -> None:
    def count() -> int:
        forget_map_cache()  # the graph read upwards is kept while its structure holds
        with CaptureQueriesContext(connection) as ctx:
            alignment.build(org.window())
            alignment.alignment_share(org.window())
        return len(ctx.captured_queries)

    _mix(org)
    few = count()
    for n in range(30):
        org.ticket(
            key=f"MORE{n}",
            linked=(org.ledger,) if n % 2 else (),
            ci="lending-api",
            assignment_group="Payments Ops",
        )
    assert count() == few
