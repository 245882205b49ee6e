"""DESIGN §2.8: what-if scenarios leave the base result alone and report what would change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dependencies.impact import ImpactError, State, StateChange, UnknownNodeError, what_if
from tests.impact.builders import EdgeSpec, ObjectiveSpec, impact, summary

OP, DEG, BLK = State.OPERATIONAL, State.DEGRADED, State.BLOCKED
LENDING: list[EdgeSpec] = [("lending", "api"), ("api", "db"), ("reporting", "db", "soft")]
OBJECTIVES: list[ObjectiveSpec] = [("OBJ-1", 1000, ["lending"]), ("OBJ-2", 300, ["reporting"])]


def test_block_a_node() -> None:
    base = impact("lending:capability reporting:capability api db", LENDING, OBJECTIVES)
    before = summary(base)

    outcome = what_if(base, block=["db"])

    assert outcome.nodes == (
        StateChange("api", OP, BLK),
        StateChange("db", OP, BLK),
        StateChange("lending", OP, BLK),
        StateChange("reporting", OP, DEG),
    )
    assert outcome.capabilities == (
        StateChange("lending", OP, BLK),
        StateChange("reporting", OP, DEG),
    )
    assert outcome.objectives == (StateChange("OBJ-1", OP, BLK), StateChange("OBJ-2", OP, DEG))
    assert outcome.value_at_risk_delta == Decimal(1000)
    assert outcome.scenario.nodes["lending"].root_causes == ("db",)
    assert outcome.scenario.forced == {"db": BLK}
    assert summary(base) == before  # the base result is untouched
    assert base.forced == {}


def test_unblock_a_root_cause() -> None:
    base = impact("lending:capability reporting:capability api db!", LENDING, OBJECTIVES)
    outcome = what_if(base, unblock=["db"])
    assert [c.item for c in outcome.nodes] == ["api", "db", "lending", "reporting"]
    assert outcome.value_at_risk_delta == Decimal(-1000)
    assert outcome.scenario.value_at_risk == Decimal(0)


def test_forcing_operational_masks_the_dependencies() -> None:
    base = impact("lending:capability reporting:capability api db!", LENDING, OBJECTIVES)
    outcome = what_if(base, unblock=["api"])
    assert outcome.nodes == (StateChange("api", BLK, OP), StateChange("lending", BLK, OP))
    assert outcome.scenario.nodes["db"].state is BLK


def test_forced_blocked_is_its_own_only_root_cause() -> None:
    base = impact("lending:capability api db!", [("lending", "api"), ("api", "db")])
    outcome = what_if(base, block=["api"])
    assert outcome.nodes == ()  # blocked already; only the explanation changes
    assert outcome.scenario.nodes["lending"].root_causes == ("api",)


def test_release_undoes_a_scenario() -> None:
    base = impact("lending:capability reporting:capability api db", LENDING, OBJECTIVES)
    forward = what_if(base, block=["db"])
    back = what_if(forward.scenario, release=["db"])
    assert summary(back.scenario) == summary(base)
    assert back.scenario.forced == {}
    assert back.value_at_risk_delta == -forward.value_at_risk_delta == Decimal(-1000)
    assert back.nodes == tuple(StateChange(c.item, c.to_state, c.from_state) for c in forward.nodes)


def test_scenarios_stack() -> None:
    base = impact("lending:capability reporting:capability api db", LENDING, OBJECTIVES)
    blocked = what_if(base, block=["db"]).scenario
    rescued = what_if(blocked, unblock=["lending"])
    assert rescued.objectives == (StateChange("OBJ-1", BLK, OP),)
    assert rescued.scenario.forced == {"db": BLK, "lending": OP}


def test_nothing_changes() -> None:
    base = impact("a b!", [("a", "b")])
    outcome = what_if(base, block=["b"])
    assert outcome.nodes == outcome.objectives == ()
    assert outcome.value_at_risk_delta == 0


def test_block_and_unblock_the_same_node_is_refused() -> None:
    base = impact("a b", [("a", "b")])
    with pytest.raises(ImpactError, match="both block and unblock b"):
        what_if(base, block=["b"], unblock=["b"])


def test_unknown_node_is_refused() -> None:
    base = impact("a b", [("a", "b")])
    with pytest.raises(UnknownNodeError, match="nope"):
        what_if(base, block=["nope"])


def test_scenario_on_a_cycle() -> None:
    base = impact("top a b c", [("top", "a"), ("a", "b"), ("b", "c"), ("c", "a")])
    outcome = what_if(base, block=["b"])
    assert [c.item for c in outcome.nodes] == ["a", "b", "c", "top"]
    assert outcome.scenario.nodes["top"].root_causes == ("b",)
    # Forced operational inside a blocked cycle: that member alone is fixed.
    blocked = impact("a b c!", [("a", "b"), ("b", "c"), ("c", "a")])
    fixed = what_if(blocked, unblock=["a"]).scenario
    assert {slug: n.state for slug, n in fixed.nodes.items()} == {"a": OP, "b": BLK, "c": BLK}
