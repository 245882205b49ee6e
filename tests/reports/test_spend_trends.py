"""Reports `spend` and `trends` on small hand-built organisations."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dependencies.graph.services import edge_create
from dependencies.models import Escalation, StateTransition
from objectives.models import Requirement
from reports import registry
from reports.models import CostLine
from reports.spend_allocation import costs_changed
from reports.window import parse_window
from tests.factories import EdgeFactory, NodeFactory, ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db
JUNE = {"from": "2026-06-01", "to": "2026-06-10"}  # 10 days, 240 hours
NOW = timezone.make_aware(dt.datetime(2026, 7, 1, 12))


def at(day: int, hour: int = 0, month: int = 6) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


def cost(node: Any, month: int, amount: str) -> None:
    CostLine.objects.create(
        node=node, month=dt.date(2026, month, 1), amount=Decimal(amount), currency="USD"
    )


def transition(item: Any, when: dt.datetime, before: str, after: str) -> None:
    field = "objective" if hasattr(item, "key") else "node"
    StateTransition.objects.create(
        **{field: item}, at=when, from_state=before, to_state=after, version=1
    )


@pytest.fixture
def org() -> dict[str, Any]:
    team = TeamFactory(slug="lending")
    db = NodeFactory(slug="core-db", kind="data", team=team)
    svc = NodeFactory(slug="loan-api", kind="service", team=team)
    cap = NodeFactory(slug="loan-origination", kind="capability", team=team)
    reporting = NodeFactory(slug="reporting", kind="capability")
    EdgeFactory(source=svc, target=db)
    EdgeFactory(source=cap, target=svc)
    EdgeFactory(source=reporting, target=db)
    objective = ObjectiveFactory(key="OBJ-1", value_at_stake=Decimal(1680), team=team)
    Requirement.objects.create(objective=objective, node=cap)
    return {"db": db, "svc": svc, "cap": cap, "reporting": reporting, "objective": objective}


def spend(params: dict[str, str]) -> dict[str, Any]:
    return registry.get("spend").build(parse_window(params, now=NOW))  # type: ignore[union-attr]


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i.get("key") or i["slug"]: i for i in result["items"]}


def test_spend_counts_a_cut_month_pro_rata_and_allocates_up(org: dict[str, Any]) -> None:
    cost(org["db"], 6, "3000")  # 10 of June's 30 days: 1,000
    cost(org["db"], 5, "999")  # outside the window
    cost(org["svc"], 7, "500")  # outside the window
    result = spend(JUNE)
    items = by_name(result)
    # 1,000 split between loan-api and reporting (both depend on core-db directly).
    assert items["loan-origination"]["spend"] == "500.00"
    assert items["OBJ-1"]["spend"] == "500.00"
    assert items["reporting"]["spend"] == "500.00"
    assert result["totals"]["cost"] == "1000.00"
    assert result["totals"]["allocated_to_objectives"] == "500.00"
    assert result["unallocated"] == [{"node": "reporting", "amount": "500.00"}]
    assert items["loan-origination"]["value_at_stake"] == "1680.00"
    assert items["reporting"]["value_at_stake"] == "0.00"


def test_spend_on_blocked_is_spend_pro_rated_over_blocked_hours(org: dict[str, Any]) -> None:
    cost(org["db"], 6, "3000")
    for item in (org["cap"], org["objective"]):
        transition(item, at(3), "operational", "blocked")
        transition(item, at(4), "blocked", "operational")
    result = spend(JUNE)
    assert json.loads(json.dumps(result)) == result  # the API serves it as is
    objective = by_name(result)["OBJ-1"]
    assert objective["blocked_hours"] == 24.0
    assert objective["spend_on_blocked"] == "50.00"  # 500 x 24 / 240
    assert objective["value_lost"] == "240.00"  # 1,680 a week x 24/168 weeks
    assert by_name(result)["loan-origination"]["spend_on_blocked"] == "50.00"
    assert result["totals"]["spend_on_blocked"] == "50.00"
    assert result["totals"]["value_lost"] == "240.00"
    assert [i.get("key") or i.get("slug") for i in result["top_friction"]] == [
        "OBJ-1",
        "loan-origination",
    ]
    tables = registry.get("spend").tables(result)  # type: ignore[union-attr]
    assert tables[0].name == "items" and len(tables[0].rows) == 3
    chart = registry.get("spend").charts(result)[0]  # type: ignore[union-attr]
    assert chart.labels == ["OBJ-1", "loan-origination"]


def test_spend_for_one_team(org: dict[str, Any]) -> None:
    cost(org["db"], 6, "3000")
    result = spend({**JUNE, "team": "lending"})
    assert sorted(by_name(result)) == ["OBJ-1", "loan-origination"]


def test_spend_reads_a_fixed_number_of_queries(org: dict[str, Any]) -> None:
    cost(org["db"], 6, "3000")
    with CaptureQueriesContext(connection) as few:
        spend(JUNE)
    for i in range(20):
        node = NodeFactory(kind="capability")
        EdgeFactory(source=node, target=org["db"])
        cost(node, 6, "10")
        transition(node, at(2), "operational", "blocked")
        Requirement.objects.create(objective=ObjectiveFactory(key=f"OBJ-{i + 10}"), node=node)
    costs_changed()  # the writes above bypassed the services: read everything again
    with CaptureQueriesContext(connection) as many:
        spend(JUNE)
    assert len(many) == len(few)
    # Warm, the month's allocation comes from the cache: no read of the graph or the costs.
    with CaptureQueriesContext(connection) as warm:
        spend(JUNE)
    assert len(warm) < len(many)
    assert not [q for q in warm.captured_queries if "dependencies_edge" in q["sql"]]


def trends(params: dict[str, str], now: dt.datetime = NOW) -> dict[str, Any]:
    with time_machine.travel(now, tick=False):
        return registry.get("trends").build(parse_window(params))  # type: ignore[union-attr]


def series(result: dict[str, Any], name: str) -> list[list[Any]]:
    return next(s["points"] for s in result["series"] if s["name"] == name)


def test_trends_start_where_the_history_does_and_say_so(org: dict[str, Any]) -> None:
    transition(org["cap"], at(5, 9), "operational", "blocked")
    transition(org["objective"], at(5, 9), "operational", "blocked")
    transition(org["cap"], at(8, 9), "blocked", "operational")
    transition(org["objective"], at(8, 9), "blocked", "operational")
    result = trends(JUNE)
    assert json.loads(json.dumps(result)) == result  # the API serves it as is
    assert result["starts_at"] == "2026-06-05"
    assert any("begins on 2026-06-05" in note for note in result["notes"])
    assert series(result, "blocked_capabilities") == [
        ["2026-06-05", 1],
        ["2026-06-06", 1],
        ["2026-06-07", 1],
        ["2026-06-08", 0],
        ["2026-06-09", 0],
        ["2026-06-10", 0],
    ]
    assert series(result, "value_at_risk")[0] == ["2026-06-05", 1680.0]
    assert series(result, "value_at_risk")[-1] == ["2026-06-10", 0.0]
    # Time to unblock: three days for each, in June, for the team.
    assert result["time_to_unblock"] == [
        {
            "team": "lending",
            "month": "2026-06",
            "unblocked": 2,
            "median_hours": 72.0,
            "p90_hours": 72.0,
        }
    ]
    # The gaps have no history: the window does not include today, so no point, and a note.
    assert series(result, "open_ownership_gaps") == []
    assert any("No history of ownership gaps" in note for note in result["notes"])


def test_trends_without_any_history_show_todays_point_only(org: dict[str, Any]) -> None:
    org["cap"].state = "blocked"
    org["cap"].save()
    now = at(10, 15)
    result = trends(JUNE, now=now)
    assert series(result, "blocked_capabilities") == [["2026-06-10", 1]]
    assert "No state history is recorded yet" in result["notes"][0]
    # Today's gaps: every node of the fixture lacks an owner or a policy.
    assert series(result, "open_ownership_gaps") == [["2026-06-10", 5]]


def test_open_escalations_are_rebuilt_from_fired_and_resolved(org: dict[str, Any]) -> None:
    def escalation(fired: dt.datetime, resolved: dt.datetime | None) -> None:
        Escalation.objects.create(
            node=org["cap"],
            episode_started_at=fired,
            level=1,
            target_display="leadership",
            fired_at=fired,
            resolved_at=resolved,
            status="resolved" if resolved else "open",
        )

    escalation(at(2, 12), at(4, 12))
    escalation(at(3, 12), None)
    points = series(trends(JUNE), "open_escalations")
    assert points[:5] == [
        ["2026-06-01", 0],
        ["2026-06-02", 1],
        ["2026-06-03", 2],
        ["2026-06-04", 1],
        ["2026-06-05", 1],
    ]


def test_trends_read_a_fixed_number_of_queries(org: dict[str, Any]) -> None:
    transition(org["cap"], at(5), "operational", "blocked")
    transition(org["cap"], at(6), "blocked", "operational")
    with CaptureQueriesContext(connection) as few:
        trends(JUNE)
    for _ in range(10):
        node = NodeFactory(kind="capability", team=org["cap"].team)
        transition(node, at(2), "operational", "blocked")
        transition(node, at(3), "blocked", "operational")
    with CaptureQueriesContext(connection) as many:
        trends(JUNE)
    assert len(many) == len(few)


def test_spend_follows_a_changed_cost_and_a_changed_graph(
    org: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The month's allocation is cached; any change to its lines or to the graph is read."""
    cost(org["db"], 6, "3000")
    assert by_name(spend(JUNE))["OBJ-1"]["spend"] == "500.00"
    line = CostLine.objects.get(node=org["db"])
    line.amount = Decimal(6000)
    with django_capture_on_commit_callbacks(execute=True):
        line.save()
    assert by_name(spend(JUNE))["OBJ-1"]["spend"] == "1000.00"
    # reporting now rests on loan-api too: loan-api's share is split between two capabilities.
    with django_capture_on_commit_callbacks(execute=True):
        edge_create(source=org["reporting"], target=org["svc"], actor=None)
    items = by_name(spend(JUNE))
    assert items["OBJ-1"]["spend"] == "500.00"
    assert items["reporting"]["spend"] == "1500.00"


def test_time_to_unblock_reaches_back_before_the_window_and_skips_unknown_starts(
    org: dict[str, Any],
) -> None:
    # Blocked on 20 May, unblocked on 2 June: 13 days, counted in June.
    transition(org["cap"], at(20, month=5), "operational", "blocked")
    transition(org["cap"], at(2), "blocked", "operational")
    # Unblocked on 3 June, but when it became blocked is not in the history: left out.
    transition(org["objective"], at(3), "blocked", "operational")
    # Blocked twice in the window: 1 h and 3 h.
    transition(org["svc"], at(4), "operational", "blocked")
    transition(org["svc"], at(4, 1), "blocked", "operational")
    transition(org["svc"], at(5), "degraded", "blocked")
    transition(org["svc"], at(5, 3), "blocked", "degraded")
    [row] = trends(JUNE)["time_to_unblock"]
    assert row == {
        "team": "lending",
        "month": "2026-06",
        "unblocked": 3,
        "median_hours": 3.0,
        "p90_hours": 312.0,
    }
