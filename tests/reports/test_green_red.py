"""The green-red report's definitions (DESIGN §2), each on a small hand-built organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.graph.services import edge_delete
from dependencies.map.drawing import forget_map_cache
from dependencies.models import Edge, StateTransition
from dependencies.recompute.runner import impact_recompute
from reports import green_red
from tests.reports.world import at, blocked, depends, node, november, objective, ticket

pytestmark = pytest.mark.django_db


def _items(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i.get("slug") or i["key"]: i for i in result["items"]}


@pytest.fixture
def lending(people: Any) -> dict[str, Any]:
    """A capability (team A) on a service (team B), needed by an objective (team A)."""
    team_a, team_b = people["team_a"], people["team_b"]
    team_a.assignment_groups = ["Lending Ops"]
    team_a.save()
    team_b.assignment_groups = ["Core Banking"]
    team_b.save()
    service = node("core-api", team=team_b)
    capability = node("loan-origination", kind="capability", team=team_a)
    depends(capability, service)
    goal = objective(team=team_a, needs=[capability])
    return {"service": service, "capability": capability, "objective": goal}


def test_green_tickets_over_a_blocked_item_are_a_disconnect(lending: dict[str, Any]) -> None:
    # Ten tickets on the service, all resolved within SLA, while the capability and the
    # objective above it were blocked 48 hours.
    for day in range(3, 13):
        ticket(lending["service"], resolved=at(day), sla_breached=False, group="Core Banking")
    blocked(lending["capability"], at(10), at(12))
    blocked(lending["objective"], at(10), at(12))

    result = green_red.build(november())

    items = _items(result)
    capability, goal = items["loan-origination"], items[lending["objective"].key]
    assert capability == capability | {
        "kind": "node",
        "tickets": 10,
        "resolved": 10,
        "sla_met_pct": 100.0,
        "blocked_hours": 48.0,
        "disconnect": True,
        "team": "team-a",
    }
    # The objective: 100 an hour; the capability: the value at stake of what needs it.
    assert goal["kind"] == "objective" and goal["value_lost"] == "4800.00"
    assert capability["value_lost"] == "4800.00"
    assert goal["disconnect"] is True
    assert result["summary"]["disconnects"] == 2
    # Disconnects come first.
    assert [i["disconnect"] for i in result["items"]][:2] == [True, True]


def test_no_sla_result_means_no_percentage_and_no_disconnect(lending: dict[str, Any]) -> None:
    ticket(lending["service"], resolved=at(5), sla_breached=None)
    ticket(lending["service"])  # still open
    blocked(lending["capability"], at(10), at(20))

    item = _items(green_red.build(november()))["loan-origination"]

    assert (item["tickets"], item["resolved"], item["sla_met_pct"]) == (2, 1, None)
    assert item["blocked_hours"] == 240.0
    assert item["disconnect"] is False


def test_below_the_sla_threshold_or_blocked_too_briefly_is_no_disconnect(
    lending: dict[str, Any], settings: Any
) -> None:
    settings.REPORT_SLA_MET_PCT = 90
    settings.REPORT_MIN_BLOCKED_HOURS = 24
    for day, breached in ((3, False), (4, True)):
        ticket(lending["service"], resolved=at(day), sla_breached=breached)
    blocked(lending["capability"], at(10), at(20))  # 240 h, but only 50 % met
    blocked(lending["objective"], at(10), at(10, 23))  # 23 h

    items = _items(green_red.build(november()))

    assert items["loan-origination"]["sla_met_pct"] == 50.0
    assert items["loan-origination"]["disconnect"] is False
    assert items[lending["objective"].key]["disconnect"] is False
    # The thresholds are settings.
    settings.REPORT_SLA_MET_PCT = 50
    assert _items(green_red.build(november()))["loan-origination"]["disconnect"] is True


def test_an_item_never_blocked_has_no_blocked_hours_and_no_value_lost(
    lending: dict[str, Any],
) -> None:
    ticket(lending["service"], resolved=at(5), sla_breached=False)

    item = _items(green_red.build(november()))["loan-origination"]

    assert (item["blocked_hours"], item["value_lost"], item["disconnect"]) == (0.0, "0.00", False)


def test_the_window_cuts_a_blockage_at_both_ends(lending: dict[str, Any]) -> None:
    # Blocked from 25 October to 2 November, and again from 30 November 12:00 into December.
    blocked(lending["capability"], dt.datetime(2026, 10, 25, tzinfo=dt.UTC), at(2))
    blocked(lending["objective"], at(30, 12), dt.datetime(2026, 12, 3, tzinfo=dt.UTC))

    items = _items(green_red.build(november()))

    assert items["loan-origination"]["blocked_hours"] == 24.0
    assert items[lending["objective"].key]["blocked_hours"] == 12.0
    assert items[lending["objective"].key]["value_lost"] == "1200.00"


def test_an_item_blocked_all_along_counts_the_whole_window(lending: dict[str, Any]) -> None:
    capability = lending["capability"]
    capability.state = "blocked"
    capability.save()

    item = _items(green_red.build(november()))["loan-origination"]

    assert item["blocked_hours"] == 30 * 24


def test_items_with_neither_tickets_nor_blockage_are_left_out(lending: dict[str, Any]) -> None:
    assert green_red.build(november())["items"] == []


def test_the_team_filter_keeps_the_items_the_team_owns(lending: dict[str, Any]) -> None:
    ticket(lending["service"], resolved=at(5), sla_breached=False)

    team_b = green_red.build(november(team="team-b"))
    team_a = green_red.build(november(team="team-a"))

    assert team_b["items"] == []  # team B owns only the service, which is no report item
    assert {i["kind"] for i in team_a["items"]} == {"node", "objective"}


def test_a_ticket_linked_to_two_nodes_of_different_teams(
    lending: dict[str, Any], people: Any
) -> None:
    other = node("branch-app", team=people["team_a"])
    # Resolved by team A's group: it owns one of the two nodes, so not the wrong department.
    ticket(lending["service"], other, resolved=at(5), group="Lending Ops", key="INC-RIGHT")
    # Resolved by a group of no owning team: wrong, once per linked node.
    ticket(lending["service"], other, resolved=at(6), group="Facilities", key="INC-WRONG")

    result = green_red.build(november())

    rows = sorted((r["ticket"], r["node"], r["team"]) for r in result["wrong_department"])
    assert rows == [("INC-WRONG", "branch-app", "team-a"), ("INC-WRONG", "core-api", "team-b")]
    assert {r["resolving_group"] for r in result["wrong_department"]} == {"Facilities"}
    # Counted once on the capability above both.
    assert _items(result)["loan-origination"]["tickets"] == 2


def test_a_bounced_ticket_went_to_the_wrong_department_even_when_the_group_is_right(
    lending: dict[str, Any],
) -> None:
    ticket(lending["service"], resolved=at(5), group="Core Banking", reassignments=2, key="INC-B")
    ticket(lending["service"], resolved=at(5), group="core banking ", reassignments=1, key="INC-OK")

    rows = green_red.build(november())["wrong_department"]

    assert [(r["ticket"], r["reasons"]) for r in rows] == [("INC-B", ["bounced (2 reassignments)"])]


def test_without_assignment_groups_only_bouncing_is_judged(people: Any) -> None:
    service = node("core-api", team=people["team_b"])
    ticket(service, resolved=at(5), group="Anyone", key="INC-1")

    result = green_red.build(november())

    assert result["wrong_department"] == []
    assert result["assignment_groups_configured"] is False


def test_resolved_but_still_blocked(lending: dict[str, Any]) -> None:
    service = lending["service"]
    blocked(service, at(20))  # blocked from the 20th, still blocked now
    ticket(service, resolved=at(19), sla_breached=False, key="INC-BEFORE")  # before it began
    ticket(service, resolved=at(21), sla_breached=False, key="INC-DURING", group="Core Banking")

    rows = green_red.build(november())["resolved_but_blocked"]

    assert [(r["ticket"], r["node"], r["team"], r["resolving_group"]) for r in rows] == [
        ("INC-DURING", "core-api", "team-b", "Core Banking")
    ]
    assert rows[0]["blocked_hours_after"] >= 24


def test_resolved_then_unblocked_within_a_day_is_not_still_blocked(
    lending: dict[str, Any],
) -> None:
    service = lending["service"]
    blocked(service, at(20), at(21, 12))
    ticket(service, resolved=at(21), key="INC-SOON")

    assert green_red.build(november())["resolved_but_blocked"] == []


def test_a_ticket_linked_to_the_objective_itself_supports_it(lending: dict[str, Any]) -> None:
    ticket(lending["objective"], resolved=at(5), sla_breached=True)

    items = _items(green_red.build(november()))

    assert items[lending["objective"].key]["sla_met_pct"] == 0.0
    assert "loan-origination" not in items  # the ticket is not beneath the capability


def test_tickets_outside_the_window_do_not_count(lending: dict[str, Any]) -> None:
    ticket(lending["service"], resolved=dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    ticket(lending["service"], opened=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))

    assert green_red.build(november())["items"] == []


def test_blocked_hours_follow_the_whole_history_of_what_was_blocked(people: Any) -> None:
    # The build reads the history only of items blocked at some time since the window began
    # (a move into or out of `blocked`, or blocked now); these are the edge cases of that.
    def capability(slug: str, state: str, *moves: tuple[int, str, str]) -> None:
        c = node(slug, kind="capability", team=people["team_a"], state=state)
        for day, before, after in moves:
            StateTransition.objects.create(
                node=c, from_state=before, to_state=after, at=at(day), version=day
            )
        ticket(c)  # listed even with no blocked hour

    capability("blocked-now-moves-elsewhere", "blocked", (5, "operational", "degraded"))
    capability("never-blocked", "operational", (3, "degraded", "operational"))
    capability("blocked-all-along", "blocked")
    capability("blocked-from-the-10th", "blocked", (10, "degraded", "blocked"))
    capability(
        "blocked-then-degraded",
        "degraded",
        (4, "operational", "blocked"),
        (6, "blocked", "degraded"),
        (8, "degraded", "operational"),
    )

    hours = {slug: i["blocked_hours"] for slug, i in _items(green_red.build(november())).items()}

    assert hours == {
        "blocked-now-moves-elsewhere": 0.0,  # its history says it was never blocked
        "never-blocked": 0.0,
        "blocked-all-along": 720.0,
        "blocked-from-the-10th": 504.0,
        "blocked-then-degraded": 48.0,
    }


def test_the_reach_is_kept_across_recomputes_and_rebuilt_when_the_graph_changes(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    database = node("ledger-db", team=people["team_b"])
    service = node("core-api", team=people["team_b"])
    capability = node("loan-origination", kind="capability", team=people["team_a"])
    depends(service, database)
    depends(capability, service)
    ticket(database, resolved=at(3), sla_breached=False)
    forget_map_cache()
    assert _items(green_red.build(november()))["loan-origination"]["tickets"] == 1

    def reads_the_edges() -> bool:
        with CaptureQueriesContext(connection) as queries:
            green_red.build(november())
        return any('"dependencies_edge"."source_id"' in q["sql"] for q in queries.captured_queries)

    impact_recompute(force=True)  # new stored results: the graph above each node is the same
    assert not reads_the_edges()

    # Not the newest edge: only the structure counter tells the reach it is out of date.
    with django_capture_on_commit_callbacks(execute=True):
        edge_delete(edge=Edge.objects.get(source=service, target=database), actor=None)
    assert "loan-origination" not in _items(green_red.build(november()))
