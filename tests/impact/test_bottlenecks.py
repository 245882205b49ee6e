"""DESIGN §2.7: root causes ranked by the value at stake of what they block."""

from __future__ import annotations

from decimal import Decimal

from dependencies.impact import Bottleneck
from tests.impact.builders import impact


def test_ranking_by_value_then_objective_count_then_slug() -> None:
    result = impact(
        "cap1:capability cap2:capability cap3:capability cap4:capability cap5:capability "
        "cap6:capability big! many! ra! rb! lonely! slow~",
        [
            ("cap1", "big"),
            ("cap2", "many"),
            ("cap3", "many"),
            ("cap4", "rb"),
            ("cap4", "ra"),
            ("cap5", "lonely"),
            ("cap6", "slow"),
        ],
        [
            ("OBJ-1", 500, ["cap1"]),
            ("OBJ-2", 200, ["cap2"]),
            ("OBJ-3", 300, ["cap3"]),
            ("OBJ-4", 100, ["cap4"]),
            ("OBJ-5", 900, ["cap6"]),  # degraded: not at risk, not a bottleneck
            ("OBJ-6", 50, [("cap1", "soft")]),  # degraded by big: not counted for big
        ],
    )
    assert result.bottlenecks == (
        Bottleneck("many", ("cap2", "cap3"), ("OBJ-2", "OBJ-3"), Decimal(500)),
        Bottleneck("big", ("cap1",), ("OBJ-1",), Decimal(500)),
        Bottleneck("ra", ("cap4",), ("OBJ-4",), Decimal(100)),
        Bottleneck("rb", ("cap4",), ("OBJ-4",), Decimal(100)),
        Bottleneck("lonely", ("cap5",), (), Decimal(0)),
    )
    assert result.value_at_risk == Decimal(1100)


def test_an_objective_blocked_by_two_causes_counts_for_both() -> None:
    result = impact(
        "cap:capability a! b!",
        [("cap", "a"), ("cap", "b")],
        [("OBJ-1", 250, ["cap"])],
    )
    assert [(b.node, b.value_at_risk) for b in result.bottlenecks] == [
        ("a", Decimal(250)),
        ("b", Decimal(250)),
    ]
    assert result.value_at_risk == Decimal(250)


def test_float_values_become_exact_decimals() -> None:
    result = impact("cap:capability a!", [("cap", "a")], [("OBJ-1", 0.1, ["cap"])])
    assert result.objectives["OBJ-1"].value_at_stake == Decimal("0.1")
    assert result.bottlenecks[0].value_at_risk == Decimal("0.1")


def test_nothing_blocked_nothing_ranked() -> None:
    result = impact("cap:capability a~", [("cap", "a")], [("OBJ-1", 250, ["cap"])])
    assert result.bottlenecks == ()
    assert result.value_at_risk == Decimal(0)
