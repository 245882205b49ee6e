"""The outcomes report's definitions (DESIGN §2): per team, output beside outcome."""

from __future__ import annotations

from typing import Any

import pytest

from dependencies.models import StateTransition, StoredBottleneck
from reports import outcomes
from tests.reports.world import at, blocked, depends, node, november, objective, ticket

pytestmark = pytest.mark.django_db


def _teams(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["team"]: t for t in result["teams"]}


@pytest.fixture
def org(people: Any) -> dict[str, Any]:
    team_a, team_b = people["team_a"], people["team_b"]
    team_b.assignment_groups = ["Core Banking"]
    team_b.save()
    service = node("core-api", team=team_b)
    capability = node("loan-origination", kind="capability", team=team_a)
    depends(capability, service)
    goal = objective(team=team_a, needs=[capability])
    return {"service": service, "capability": capability, "objective": goal, **people}


def test_output_is_what_the_teams_groups_resolved(org: dict[str, Any]) -> None:
    # Opened on the 1st at 00:00; resolved 10 h, 20 h and 30 h later.
    ticket(org["service"], resolved=at(1, 10), sla_breached=False, group="Core Banking")
    ticket(org["service"], resolved=at(1, 20), sla_breached=True, group="core banking")
    ticket(org["service"], resolved=at(2, 6), sla_breached=None, group="Core Banking")
    ticket(org["service"], resolved=at(2, 6), group="Somebody Else")
    ticket(org["service"])  # open: no output yet

    teams = _teams(outcomes.build(november()))

    assert teams["team-b"] | {} == teams["team-b"] | {
        "resolved": 3,
        "sla_met_pct": 50.0,
        "median_hours_to_resolve": 20.0,
    }


def test_a_team_without_assignment_groups_is_credited_with_tickets_on_what_it_owns(
    org: dict[str, Any],
) -> None:
    ticket(org["capability"], resolved=at(3), sla_breached=False, group="Lending")

    teams = _teams(outcomes.build(november()))

    assert (teams["team-a"]["resolved"], teams["team-a"]["sla_met_pct"]) == (1, 100.0)
    assert teams["team-b"]["resolved"] == 0  # team B names its groups; "Lending" is not one
    assert teams["team-b"]["sla_met_pct"] is None
    assert teams["team-b"]["median_hours_to_resolve"] is None


def test_outcome_counts_unblocked_items_and_their_value(org: dict[str, Any]) -> None:
    blocked(org["service"], at(5), at(6))  # team B unblocks its service ...
    blocked(org["service"], at(8), at(9))  # ... twice
    blocked(org["objective"], at(5), at(6))  # team A unblocks its objective

    teams = _teams(outcomes.build(november()))

    # The service's value is that of the objective that needs it (16,800 a week), once.
    assert (teams["team-b"]["unblocked"], teams["team-b"]["value_unblocked"]) == (2, "16800.00")
    assert (teams["team-a"]["unblocked"], teams["team-a"]["value_unblocked"]) == (1, "16800.00")


def test_value_at_risk_and_hours_blocking_others_follow_owned_root_causes(
    org: dict[str, Any],
) -> None:
    key = org["objective"].key
    node("core-db", team=org["team_b"])
    StoredBottleneck.objects.bulk_create(
        [
            StoredBottleneck(
                node="core-api",
                capabilities=["loan-origination"],
                objectives=[key],
                value_at_risk=16800,
            ),
            # The same objective through a second root cause of the same team: once.
            StoredBottleneck(
                node="core-db", capabilities=[], objectives=[key], value_at_risk=16800
            ),
        ]
    )
    for item, field in ((org["capability"], "node"), (org["objective"], "objective")):
        StateTransition.objects.create(
            **{field: item},
            from_state="operational",
            to_state="blocked",
            at=at(10),
            root_causes=["core-api"],
            version=1,
        )
        StateTransition.objects.create(
            **{field: item}, from_state="blocked", to_state="operational", at=at(12), version=2
        )

    teams = _teams(outcomes.build(november()))

    assert teams["team-b"]["value_at_risk"] == "16800.00"
    # The capability and the objective, 48 h each.
    assert teams["team-b"]["blocked_others_hours"] == 96.0
    assert teams["team-a"]["blocked_others_hours"] == 0.0
    assert teams["team-a"]["value_at_risk"] == "0.00"


def test_the_team_filter_keeps_one_team(org: dict[str, Any]) -> None:
    assert [t["team"] for t in outcomes.build(november(team="team-b"))["teams"]] == ["team-b"]
