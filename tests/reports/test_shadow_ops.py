"""Report `shadow-ops`: each signal on small hand-built cases, and its cost."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.models import Node, StateTransition
from integrations.models import LinkRule
from objectives.models import Objective, StatusUpdate
from reports import shadow_ops
from reports.registry import get
from tests.factories import NodeFactory, ObjectiveFactory
from tests.reports.conftest import Org, at

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def _signals(org: Org, **params: str) -> dict[str, dict[str, Any]]:
    result = shadow_ops.build(org.window(**params))
    return {signal["name"]: signal for signal in result["signals"]}


def _refs(signal: dict[str, Any]) -> list[str]:
    return sorted(item["ref"] for item in signal["items"])


def _set_state(item: Node | Objective, state: str, **more: Any) -> None:
    type(item).objects.filter(pk=item.pk).update(state=state, **more)


def test_every_signal_is_there_and_empty_on_a_quiet_organisation(org: Org) -> None:
    signals = _signals(org)
    assert list(signals) == list(shadow_ops.SIGNALS)
    assert all(s["count"] == 0 and s["items"] == [] for s in signals.values())


def test_blocked_node_with_no_active_ticket(org: Org) -> None:
    blocked = {"state": "blocked", "intrinsic_state": "blocked"}
    # Blocked by hand, no ticket at all.
    _set_state(org.island, "blocked", intrinsic_state="blocked", blocked_since=at(1))
    # Blocked by hand, but its dependency (the ledger) has an active ticket: a ticket says so.
    _set_state(org.api, "blocked", intrinsic_state="blocked")
    org.ticket(linked=(org.ledger,), status_category="open")
    # Blocked only through the api: the api is its root cause, listed once.
    _set_state(org.lending, "blocked")
    # Blocked by hand with only a resolved ticket.
    orphaned = NodeFactory(slug="vendor-kyc", team=org.people["team_b"], **blocked)
    org.ticket(linked=(orphaned,), status_category="resolved")
    signal = _signals(org)["blocked-without-ticket"]
    assert _refs(signal) == ["island", "vendor-kyc"]
    assert signal["by_team"] == [{"team": "team-b", "name": "Team B", "count": 2}]
    island = next(i for i in signal["items"] if i["ref"] == "island")
    assert island["url"] == "/nodes/island/" and island["team"] == "team-b"


def test_tickets_naming_a_ci_or_component_that_is_no_node(org: Org) -> None:
    org.ticket(key="INC1", ci="mainframe-7", assignment_group="Lending Squad")
    org.ticket(key="INC2", ci="CORE LEDGER")  # a node's name
    org.ticket(key="INC3", components=["lending-api", "Fax gateway"])
    LinkRule.objects.create(field="component", pattern="ledger-db", node=org.ledger)
    org.ticket(key="INC4", components=["Ledger-DB"])  # a rule's pattern maps it
    signal = _signals(org)["unknown-ci"]
    assert _refs(signal) == ["INC1", "INC3"]
    details = {item["ref"]: item["detail"] for item in signal["items"]}
    assert details["INC3"] == "not in the graph: Fax gateway"
    assert {item["ref"]: item["team"] for item in signal["items"]} == {
        "INC1": "team-a",
        "INC3": None,
    }


def test_orphan_tickets(org: Org) -> None:
    org.ticket(key="INC1")
    org.ticket(key="INC2", linked=(org.island,))
    org.ticket(key="INC3", updated_at=at(-5))  # no activity in the window
    signal = _signals(org)["orphan-tickets"]
    assert _refs(signal) == ["INC1"]
    assert signal["items"][0]["ticket"] == "INC1"


def test_stale_items(org: Org) -> None:
    Node.objects.update(created_at=LONG_AGO)
    Objective.objects.update(created_at=LONG_AGO)
    # Degraded since long ago, nothing happened since.
    _set_state(org.island, "degraded")
    # Blocked, but a supporting ticket moved three days before the window's end.
    _set_state(org.api, "blocked")
    org.ticket(linked=(org.ledger,), updated_at=at(11))
    # OBJ-1 requires `lending`, which depends on the api and the ledger: the ledger's ticket
    # is activity for it too.
    _set_state(org.objective, "blocked")
    # Blocked, last status update 20 days before the window's end: stale.
    quiet = ObjectiveFactory(key="OBJ-3", team=org.people["team_a"])
    Objective.objects.filter(pk=quiet.pk).update(created_at=LONG_AGO, state="blocked")
    update = StatusUpdate.objects.create(objective=quiet, rag="red", summary="stuck")
    StatusUpdate.objects.filter(pk=update.pk).update(created_at=at(-6))
    # Blocked, but it only became blocked during the window.
    fresh = ObjectiveFactory(key="OBJ-2", team=org.people["team_b"])
    Objective.objects.filter(pk=fresh.pk).update(created_at=LONG_AGO, state="blocked")
    StateTransition.objects.create(
        objective=fresh, from_state="operational", to_state="blocked", at=at(10), version=1
    )
    signal = _signals(org)["stale"]
    assert _refs(signal) == ["OBJ-3", "island"]
    assert {i["ref"]: i["kind"] for i in signal["items"]} == {
        "island": "node",
        "OBJ-3": "objective",
    }


def test_ping_pong_tickets(org: Org) -> None:
    org.ticket(key="INC1", reassignment_count=3)
    org.ticket(key="INC2", reassignment_count=2)
    org.ticket(key="INC3", reopen_count=1)
    org.ticket(key="INC4", reopen_count=0, reassignment_count=None)
    assert _refs(_signals(org)["ping-pong"]) == ["INC1", "INC3"]


def test_retro_logged_tickets(org: Org) -> None:
    org.ticket(
        key="INC1", priority=1, opened_at=at(2), resolved_at=at(2, 0.05), updated_at=at(2, 0.05)
    )
    org.ticket(
        key="INC2", priority=2, opened_at=at(2), resolved_at=at(2, 0.5), updated_at=at(2, 0.5)
    )
    org.ticket(
        key="INC3", priority=3, opened_at=at(2), resolved_at=at(2, 0.05), updated_at=at(2, 0.05)
    )
    # Resolved fast, but before the window; only a comment in it.
    org.ticket(key="INC4", priority=1, opened_at=at(-3), resolved_at=at(-3, 0.01), updated_at=at(4))
    signal = _signals(org)["retro-logged"]
    assert _refs(signal) == ["INC1"]
    assert signal["items"][0]["detail"] == "P1 opened and resolved 3 min apart"


def _update(objective: Objective, rag: str, when: dt.datetime) -> None:
    update = StatusUpdate.objects.create(objective=objective, rag=rag, summary="fine")
    StatusUpdate.objects.filter(pk=update.pk).update(created_at=when)


def test_green_status_updates_over_a_blocked_graph(org: Org) -> None:
    # Blocked from day 3 on; the owner says green on day 5.
    _set_state(org.objective, "blocked")
    StateTransition.objects.create(
        objective=org.objective, from_state="operational", to_state="blocked", at=at(3), version=1
    )
    _update(org.objective, "green", at(5))
    # Green before it became blocked, and no update since.
    before = ObjectiveFactory(key="OBJ-2", team=org.people["team_b"], state="blocked")
    StateTransition.objects.create(
        objective=before, from_state="operational", to_state="blocked", at=at(6), version=1
    )
    _update(before, "green", at(2))
    # Green once while blocked, but the latest update of the window is amber.
    owned = ObjectiveFactory(key="OBJ-3", team=org.people["team_b"], state="blocked")
    _update(owned, "green", at(2))
    _update(owned, "amber", at(4))
    # Blocked all along (no history), green: the current state is the state.
    always = ObjectiveFactory(key="OBJ-4", team=org.people["team_b"], state="blocked")
    _update(always, "green", at(1))
    signal = _signals(org)["green-over-blocked"]
    assert _refs(signal) == ["OBJ-1", "OBJ-4"]
    assert _refs(_signals(org, team="team-a")["green-over-blocked"]) == ["OBJ-1"]


def test_registered_with_a_summary_table_one_per_signal_and_a_chart(org: Org) -> None:
    org.ticket(key="INC1", reassignment_count=5)
    report = get("shadow-ops")
    assert report is not None
    result = report.build(org.window())
    assert json.loads(json.dumps(result)) == result  # the API serves it as is
    tables = report.tables(result)
    assert [t.name for t in tables] == ["signals", *shadow_ops.SIGNALS]
    assert {row["name"]: row["count"] for row in tables[0].rows}["ping-pong"] == 1
    (chart,) = report.charts(result)
    assert chart.labels == list(shadow_ops.SIGNALS.values())
    assert sum(chart.datasets[0]["data"]) == 2  # ping-pong and orphan


def test_queries_do_not_grow_with_the_tickets_and_items(org: Org) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            shadow_ops.build(org.window())
        return len(ctx.captured_queries)

    _set_state(org.objective, "blocked")
    _update(org.objective, "green", at(2))
    few = count()
    for n in range(20):
        node = NodeFactory(slug=f"n-{n}", state="blocked" if n % 2 else "degraded")
        objective = ObjectiveFactory(key=f"OBJ-{n + 10}", state="blocked")
        _update(objective, "green", at(3))
        org.ticket(key=f"T{n}", linked=(node,) if n % 3 else (), ci=f"ci-{n}", reassignment_count=n)
    assert count() == few
