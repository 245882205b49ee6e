"""DESIGN §2.8: single points of failure, checked against one what-if per node."""

from __future__ import annotations

from decimal import Decimal

from dependencies.impact import (
    ImpactResult,
    SinglePointOfFailure,
    State,
    single_points_of_failure,
    what_if,
)
from tests.impact.builders import impact


def brute_force(result: ImpactResult) -> dict[str, tuple[str, ...]]:
    """{node: objectives} by blocking each node in turn."""
    found = {}
    for slug in result.nodes:
        scenario = what_if(result, block=[slug]).scenario
        newly_blocked = tuple(
            key
            for key, objective in sorted(scenario.objectives.items())
            if objective.state == State.BLOCKED and result.objectives[key].state != State.BLOCKED
        )
        if newly_blocked:
            found[slug] = newly_blocked
    return found


def points(result: ImpactResult) -> dict[str, tuple[str, ...]]:
    found = {p.node: p.objectives for p in single_points_of_failure(result)}
    assert found == brute_force(result)
    return found


def test_chain() -> None:
    result = impact(
        "lending:capability api db", [("lending", "api"), ("api", "db")], [("O", 1, ["lending"])]
    )
    assert points(result) == {"lending": ("O",), "api": ("O",), "db": ("O",)}


def test_or_group_alternatives_are_not_single_points_but_what_they_share_is() -> None:
    result = impact(
        "lending:capability api1 api2 db",
        [
            ("lending", "api1", "hard", "g", 1),
            ("lending", "api2", "hard", "g", 1),
            ("api1", "db"),
            ("api2", "db"),
        ],
        [("O", 1, ["lending"])],
    )
    assert points(result) == {"lending": ("O",), "db": ("O",)}


def test_or_group_with_one_alternative_down_leaves_the_other_as_single_point() -> None:
    result = impact(
        "lending:capability api1! api2",
        [("lending", "api1", "hard", "g", 1), ("lending", "api2", "hard", "g", 1)],
        [("O", 1, ["lending"])],
    )
    assert points(result) == {"lending": ("O",), "api2": ("O",)}


def test_two_of_three() -> None:
    edges = [("x", t, "hard", "g", 2) for t in ("p", "q", "r")]
    healthy = impact("x p q r", edges, [("O", 1, ["x"])])
    assert points(healthy) == {"x": ("O",)}
    one_down = impact("x p! q r", edges, [("O", 1, ["x"])])
    assert points(one_down) == {"x": ("O",), "q": ("O",), "r": ("O",)}


def test_two_of_three_sharing_a_dependency() -> None:
    result = impact(
        "x p q r s",
        [*[("x", t, "hard", "g", 2) for t in ("p", "q", "r")], ("p", "s"), ("q", "s")],
        [("O", 1, ["x"])],
    )
    assert points(result) == {"x": ("O",), "s": ("O",)}


def test_diamond() -> None:
    result = impact("a b c d", [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")], [("O", 1, ["a"])])
    assert points(result) == {"a": ("O",), "b": ("O",), "c": ("O",), "d": ("O",)}


def test_diamond_of_alternatives() -> None:
    result = impact(
        "a b c d",
        [("a", "b", "hard", "g", 1), ("a", "c", "hard", "g", 1), ("b", "d"), ("c", "d")],
        [("O", 1, ["a"])],
    )
    assert points(result) == {"a": ("O",), "d": ("O",)}


def test_soft_links_never_make_a_single_point() -> None:
    result = impact(
        "cap:capability db",
        [("cap", "db", "soft")],
        [("O", 1, ["cap"]), ("P", 1, [("db", "soft")])],
    )
    assert points(result) == {"cap": ("O",)}


def test_soft_member_keeps_an_or_group_alive() -> None:
    result = impact(
        "x a b", [("x", "a", "hard", "g", 1), ("x", "b", "soft", "g", 1)], [("O", 1, ["x"])]
    )
    assert points(result) == {"x": ("O",)}


def test_already_blocked_objectives_do_not_count() -> None:
    result = impact(
        "cap1:capability cap2:capability shared down!",
        [("cap1", "shared"), ("cap2", "shared"), ("cap2", "down")],
        [("O1", 1, ["cap1"]), ("O2", 1, ["cap2"])],
    )
    assert points(result) == {"cap1": ("O1",), "shared": ("O1",)}


def test_a_degraded_node_can_still_fail() -> None:
    result = impact("cap:capability db~", [("cap", "db")], [("O", 1, ["cap"])])
    assert points(result) == {"cap": ("O",), "db": ("O",)}


def test_cycles() -> None:
    result = impact(
        "cap:capability x y z",
        [
            ("cap", "x"),
            ("x", "y"),
            ("y", "x"),
            ("y", "z", "hard", "g", 1),
            ("y", "cap", "hard", "g", 1),
        ],
        [("O", 1, ["cap"])],
    )
    points(result)  # compared with the brute force


def test_sorted_by_value_then_count_then_slug() -> None:
    result = impact(
        "c1:capability c2:capability c3:capability",
        [],
        [("A", 100, ["c1"]), ("B", 60, ["c2"]), ("C", 40, ["c2"]), ("D", 100, ["c3"])],
    )
    assert single_points_of_failure(result) == (
        SinglePointOfFailure("c2", ("B", "C"), Decimal(100)),
        SinglePointOfFailure("c1", ("A",), Decimal(100)),
        SinglePointOfFailure("c3", ("D",), Decimal(100)),
    )


def test_in_a_what_if_scenario() -> None:
    base = impact("cap:capability api db", [("cap", "api"), ("api", "db")], [("O", 1, ["cap"])])
    scenario = what_if(base, unblock=["api"]).scenario  # api assumed fixed
    assert points(scenario) == {"cap": ("O",), "api": ("O",)}
