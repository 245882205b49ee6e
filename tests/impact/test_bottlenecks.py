"""DESIGN §2.7: root causes ranked by the value at stake of what they block."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import (
    Bottleneck,
    ImpactResult,
    Objective,
    State,
    update_impact,
    what_if,
)
from tests.impact.builders import T0, Organisation, impact, organisations


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


# The ranking is kept up to date from the items an update changed (impact.bottlenecks);
# these hold it to a full ranking. Values with cents: the sums must have the same digits.
@settings(max_examples=200, deadline=None)
@given(organisations(), st.data())
def test_a_ranking_kept_up_to_date_equals_a_full_ranking(
    org: Organisation, data: st.DataObject
) -> None:
    values = st.sampled_from([Decimal("0.50"), Decimal("2.25"), Decimal(3), Decimal(0)])
    org = Organisation(
        org.nodes,
        org.edges,
        [Objective(o.key, data.draw(values), o.requires) for o in org.objectives],
    )
    slugs = [n.slug for n in org.nodes]
    result = org.compute()
    result.bottlenecks  # noqa: B018 - made now, so the updates below start from it
    for step in range(data.draw(st.integers(1, 4))):
        intrinsic = data.draw(
            st.dictionaries(st.sampled_from(slugs), st.sampled_from(list(State)), max_size=3)
        )
        org = org.with_intrinsic(intrinsic)
        result = update_impact(result, now=T0 + timedelta(minutes=step), intrinsic=intrinsic).result
        assert _ranked(result) == _ranked(org.compute())

    # A what-if scenario derived from the kept ranking, and its own full ranking.
    block = data.draw(st.lists(st.sampled_from(slugs), max_size=2, unique=True))
    scenario = what_if(result, block=block).scenario
    assert _ranked(scenario) == _ranked(_full(scenario))


def _full(result: ImpactResult) -> ImpactResult:
    """The same result with its ranking made from scratch, not from a base's."""
    return ImpactResult(
        propagation=result.propagation,
        computed_at=result.computed_at,
        blocked_since=result.blocked_since,
    )


def _ranked(result: ImpactResult) -> list[tuple[str, tuple[str, ...], tuple[str, ...], str]]:
    """The ranking as stored (the value as text: "2.50" and "2.5" are stored differently)."""
    return [
        (b.node, b.capabilities, b.objectives, str(b.value_at_risk)) for b in result.bottlenecks
    ]
