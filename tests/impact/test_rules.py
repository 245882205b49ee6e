"""DESIGN §2 "State propagation", rule by rule, on small hand-drawn graphs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dependencies.impact import State, intrinsic_state
from tests.impact.builders import EdgeSpec, ObjectiveSpec, impact, summary


@dataclass(frozen=True)
class Case:
    name: str
    nodes: str
    edges: list[EdgeSpec]
    expected: dict[str, str]  # slug or key → "state" or "state: root causes"
    objectives: list[ObjectiveSpec] = field(default_factory=list)


CASES = [
    # --- hard edges ------------------------------------------------------------------
    Case("hard edge passes blocked", "app db!", [("app", "db")], {"app": "blocked: db"}),
    Case("hard edge passes degraded", "app db~", [("app", "db")], {"app": "degraded: db"}),
    Case(
        "hard chain",
        "web app db!",
        [("web", "app"), ("app", "db")],
        {"web": "blocked: db", "app": "blocked: db", "db": "blocked: db"},
    ),
    Case("all fine", "app db", [("app", "db")], {"app": "operational", "db": "operational"}),
    Case(
        "dependents do not affect dependencies",
        "app! db",
        [("app", "db")],
        {"app": "blocked: app", "db": "operational"},
    ),
    # --- soft edges ------------------------------------------------------------------
    Case("soft edge caps blocked", "app db!", [("app", "db", "soft")], {"app": "degraded: db"}),
    Case("soft edge passes degraded", "app db~", [("app", "db", "soft")], {"app": "degraded: db"}),
    Case(
        "soft then hard",
        "web app db!",
        [("web", "app"), ("app", "db", "soft")],
        {"web": "degraded: db", "app": "degraded: db"},
    ),
    # --- redundancy groups -----------------------------------------------------------
    Case(
        "OR group, one alternative blocked",
        "app a! b",
        [("app", "a", "hard", "g", 1), ("app", "b", "hard", "g", 1)],
        {"app": "operational"},
    ),
    Case(
        "OR group, every alternative blocked",
        "app a! b!",
        [("app", "a", "hard", "g", 1), ("app", "b", "hard", "g", 1)],
        {"app": "blocked: a b"},
    ),
    Case(
        "OR group passes its best member, both carry",
        "app a! b~",
        [("app", "a", "hard", "g", 1), ("app", "b", "hard", "g", 1)],
        {"app": "degraded: a b"},
    ),
    Case(
        "2 of 3, one member down",
        "app a! b c",
        [("app", t, "hard", "g", 2) for t in "abc"],
        {"app": "operational"},
    ),
    Case(
        "2 of 3, two members down",
        "app a! b! c",
        [("app", t, "hard", "g", 2) for t in "abc"],
        {"app": "blocked: a b"},
    ),
    Case(
        "2 of 3, second best is degraded; members at least that bad carry",
        "app a! b~ c",
        [("app", t, "hard", "g", 2) for t in "abc"],
        {"app": "degraded: a b"},
    ),
    Case(
        "m = size is AND",
        "app a! b c",
        [("app", t, "hard", "g", 3) for t in "abc"],
        {"app": "blocked: a"},
    ),
    Case(
        "m above the size counts as the size",
        "app a b!",
        [("app", "a", "hard", "g", 5), ("app", "b", "hard", "g", 5)],
        {"app": "blocked: b"},
    ),
    Case(
        "members disagree on m: the largest wins",
        "app a! b",
        [("app", "a", "hard", "g", 1), ("app", "b", "hard", "g", 2)],
        {"app": "blocked: a"},
    ),
    Case(
        "a soft member contributes at most degraded",
        "app a! b!",
        [("app", "a", "soft", "g", 1), ("app", "b", "hard", "g", 1)],
        {"app": "degraded: a b"},
    ),
    Case(
        "two groups of one node are separate",
        "app a! b c! d",
        [
            ("app", "a", "hard", "g1", 1),
            ("app", "b", "hard", "g1", 1),
            ("app", "c", "hard", "g2", 1),
            ("app", "d", "hard", "g2", 1),
        ],
        {"app": "operational"},
    ),
    Case(
        "same label on two nodes: two groups",
        "x y a! b",
        [
            ("x", "a", "hard", "g", 1),
            ("x", "b", "hard", "g", 1),
            ("y", "a", "hard", "g", 1),
        ],
        {"x": "operational", "y": "blocked: a"},
    ),
    Case(
        "a group beside a hard edge",
        "app a! b! c",
        [("app", "a", "hard", "g", 1), ("app", "b", "hard", "g", 1), ("app", "c")],
        {"app": "blocked: a b"},
    ),
    # --- cycles ------------------------------------------------------------------------
    Case(
        "a cycle shares its worst state",
        "a b c!",
        [("a", "b"), ("b", "c"), ("c", "a")],
        {"a": "blocked: c", "b": "blocked: c", "c": "blocked: c"},
    ),
    Case(
        "sharing beats a soft edge inside the cycle",
        "a b!",
        [("a", "b", "soft"), ("b", "a")],
        {"a": "blocked: b", "b": "blocked: b"},
    ),
    Case(
        "a cycle blocked from outside, and its dependents",
        "top a b ext!",
        [("top", "a"), ("a", "b"), ("b", "a"), ("b", "ext")],
        {"top": "blocked: ext", "a": "blocked: ext", "b": "blocked: ext"},
    ),
    Case(
        "a degraded cycle",
        "top a b~",
        [("top", "a"), ("a", "b"), ("b", "a")],
        {"top": "degraded: b", "a": "degraded: b", "b": "degraded: b"},
    ),
    Case(
        "a group with members inside and outside the cycle carries both",
        "a b w! z!",
        [("a", "b", "hard", "g", 1), ("a", "z", "hard", "g", 1), ("b", "a"), ("b", "w")],
        {"a": "blocked: w z", "b": "blocked: w z"},
    ),
    Case(
        "a cycle with nothing wrong",
        "a b",
        [("a", "b"), ("b", "a")],
        {"a": "operational", "b": "operational"},
    ),
    Case("a self-loop", "a!", [("a", "a")], {"a": "blocked: a"}),
    # --- root causes through mixed paths -----------------------------------------------
    Case(
        "own degradation is masked by a blockage from below",
        "app~ db!",
        [("app", "db")],
        {"app": "blocked: db"},
    ),
    Case(
        "intrinsically blocked and blocked from below: both are causes",
        "app! db!",
        [("app", "db")],
        {"app": "blocked: app db"},
    ),
    Case(
        "a blocked node reached through a soft edge does not explain a blockage",
        "x a b r1! r2!",
        [("x", "a"), ("a", "r1"), ("x", "b", "soft"), ("b", "r2")],
        {"x": "blocked: r1", "b": "blocked: r2"},
    ),
    Case(
        "degraded through a hard path and a soft path",
        "x d~ b r2!",
        [("x", "d"), ("x", "b", "soft"), ("b", "r2")],
        {"x": "degraded: d r2"},
    ),
    Case(
        "a degraded input does not explain a blockage",
        "x d~ r!",
        [("x", "d"), ("x", "r")],
        {"x": "blocked: r"},
    ),
    Case(
        "diamond: one cause, two paths",
        "top left right base!",
        [("top", "left"), ("top", "right"), ("left", "base"), ("right", "base", "soft")],
        {"top": "blocked: base", "right": "degraded: base"},
    ),
    # --- objectives ----------------------------------------------------------------------
    Case(
        "objective: hard requirement",
        "lending:capability api!",
        [("lending", "api")],
        {"OBJ-1": "blocked: api", "lending": "blocked: api"},
        [("OBJ-1", 1000, ["lending"])],
    ),
    Case(
        "objective: soft requirement",
        "lending:capability api!",
        [("lending", "api")],
        {"OBJ-1": "degraded: api"},
        [("OBJ-1", 1000, [("lending", "soft")])],
    ),
    Case(
        "objective: a technical node required directly",
        "lending:capability api db~",
        [("lending", "api")],
        {"OBJ-1": "degraded: db"},
        [("OBJ-1", 1000, ["lending", "db"])],
    ),
    Case(
        "objective: all fine",
        "lending:capability api",
        [("lending", "api")],
        {"OBJ-1": "operational"},
        [("OBJ-1", 1000, ["lending"])],
    ),
    Case(
        "objective without requirements",
        "api!",
        [],
        {"OBJ-1": "operational"},
        [("OBJ-1", 1000, [])],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_rule(case: Case) -> None:
    result = impact(case.nodes, case.edges, case.objectives)
    states = summary(result)
    assert {name: states[name] for name in case.expected} == case.expected


@pytest.mark.parametrize(
    ("manual_state", "has_blocking_ticket", "expected"),
    [
        (None, False, State.OPERATIONAL),
        ("", False, State.OPERATIONAL),
        (None, True, State.BLOCKED),
        ("", True, State.BLOCKED),
        ("blocked", False, State.BLOCKED),
        ("degraded", False, State.DEGRADED),
        ("degraded", True, State.DEGRADED),  # the override wins over the ticket
        ("operational", True, State.OPERATIONAL),  # ... in both directions
        ("operational", False, State.OPERATIONAL),
    ],
)
def test_manual_override_beats_tickets(
    manual_state: str | None, has_blocking_ticket: bool, expected: State
) -> None:
    assert intrinsic_state(manual_state, has_blocking_ticket) is expected


def test_unknown_manual_state_is_refused() -> None:
    with pytest.raises(ValueError, match="'broken' is not a state"):
        intrinsic_state("broken", False)


def test_cycles_are_reported() -> None:
    result = impact(
        "a b c d e f",
        [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("e", "f"), ("f", "e"), ("d", "d")],
    )
    assert result.cycles == (("a", "b", "c"), ("d",), ("e", "f"))


def test_results_are_sorted_and_complete() -> None:
    result = impact("z a! m!", [("z", "m"), ("z", "a")])
    assert result.nodes["z"].root_causes == ("a", "m")
    assert result.nodes["z"].intrinsic_state is State.OPERATIONAL
    assert result.nodes["z"].kind == "service"
    assert set(result.nodes) == {"z", "a", "m"}


def test_state_labels_round_trip() -> None:
    for state in State:
        assert State.parse(state.label) is state
        assert str(state) == state.label
    assert State.OPERATIONAL < State.DEGRADED < State.BLOCKED
