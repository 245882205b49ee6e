"""The map's pure parts (dependencies/map/shapes.py), with plain data and no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dependencies.map.shapes import (
    api_node,
    api_objective,
    carries,
    iso,
    owner_line,
    reach,
    weeks_since,
    worst,
)

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_reach_follows_depends_on_edges_and_survives_cycles() -> None:
    adjacency = {1: [2, 3], 2: [4], 4: [2], 5: [1]}
    assert reach([1], adjacency) == {1, 2, 3, 4}
    assert reach([5], adjacency) == {1, 2, 3, 4, 5}
    assert reach([], adjacency) == set()
    assert reach([9], adjacency) == {9}


def test_worst_state() -> None:
    assert worst(["operational", "blocked", "degraded"]) == "blocked"
    assert worst(["operational", "degraded"]) == "degraded"
    assert worst([]) == "operational"


def test_an_edge_carries_a_blockage_when_it_shares_a_root_cause() -> None:
    target = {"slug": "api", "root_causes": ["ledger"]}
    assert carries(["ledger"], target)
    assert carries(["api"], target)  # the target itself is the source's root cause
    assert not carries(["other"], target)
    assert not carries([], target)


def test_blocked_weeks() -> None:
    assert weeks_since(None, T0) == 0
    assert weeks_since(T0, T0 + dt.timedelta(days=3, hours=12)) == Decimal("0.5000")


def test_small_labels() -> None:
    assert iso(None) is None and iso(T0) == "2026-11-02T09:00:00+00:00"
    assert owner_line("Ann Lee") == "owner Ann Lee"
    assert owner_line("") == "⚑ NO OWNER"


def test_api_shapes_keep_the_public_fields() -> None:
    row = {
        "slug": "api",
        "name": "API",
        "kind": "integration",
        "state": "blocked",
        "intrinsic_state": "blocked",
        "root_causes": ["api"],
        "blocked_since": T0,
        "manual_state": "blocked",
        "manual_reason": "down",
        "owner__username": None,
        "team__slug": None,
        "escalation_policy__name": None,
    }
    node = api_node(row, ["owner", "team", "escalation policy"])
    assert set(node) >= {
        "slug",
        "name",
        "kind",
        "owner",
        "team",
        "escalation_policy",
        "manual_state",
        "manual_reason",
        "intrinsic_state",
        "state",
        "root_causes",
        "blocked_since",
    }
    assert node["ownership_gaps"] == ["owner", "team", "escalation policy"]
    objective = api_objective(
        {
            "key": "OBJ-1",
            "title": "Launch",
            "state": "blocked",
            "declared_status": "on_track",
            "root_causes": ["api"],
            "blocked_since": T0,
            "value_at_stake": Decimal(1000),
            "owner__username": "ann",
            "team__slug": "team-a",
            "escalation_policy__name": "Standard",
        },
        [{"node": "cap", "criticality": "hard"}],
        [],
    )
    assert objective["requires"] == [{"node": "cap", "criticality": "hard"}]
    assert objective["owner"] == "ann" and objective["ownership_gaps"] == []
