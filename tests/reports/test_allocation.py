"""Spend allocation up the graph and the pro rata month weights: pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from reports.allocation import allocate
from reports.prorata import month_weights, month_weights_between
from reports.series import Tracked, blocked_series, percentile, time_to_unblock


def graph(*edges: tuple[int, int]) -> dict[int, list[int]]:
    """`(source, target)`: source depends on target -> target's dependents."""
    dependents: dict[int, list[int]] = {}
    for source, target in edges:
        dependents.setdefault(target, []).append(source)
    return dependents


def test_a_chain_carries_cost_to_the_objective():
    # objective 100 requires capability 1, which rests on service 2, which rests on db 3.
    result = allocate({3: D(90), 2: D(10)}, graph((1, 2), (2, 3)), {1: [100]})
    assert result.spend == {3: D(90), 2: D(100), 1: D(100)}
    assert result.objectives == {100: D(100)}
    assert result.unallocated == {}


def test_a_shared_node_is_split_evenly_among_its_direct_dependents():
    # Two capabilities (1, 2) share the database 3; each is required by its own objective.
    result = allocate({3: D(100)}, graph((1, 3), (2, 3)), {1: [10], 2: [20]})
    assert result.spend[1] == result.spend[2] == D(50)
    assert result.objectives == {10: D(50), 20: D(50)}


def test_objectives_requiring_a_node_directly_take_a_share_beside_dependent_nodes():
    # Node 3 has one dependent node (1) and is required directly by objective 30.
    result = allocate({3: D(60)}, graph((1, 3)), {1: [10], 3: [30]})
    assert result.objectives == {10: D(30), 30: D(30)}


def test_a_node_keeps_no_share_of_its_own_cost_when_something_depends_on_it():
    result = allocate({1: D(40), 2: D(60)}, graph((1, 2)), {1: [10]})
    # 2 passes all 60 on to 1; 1 carries 40 + 60 and passes it to the objective.
    assert result.spend == {2: D(60), 1: D(100)}
    assert result.objectives == {10: D(100)}
    assert result.unallocated == {}


def test_a_node_nobody_depends_on_keeps_its_cost_as_unallocated():
    result = allocate({5: D(70), 3: D(30)}, graph((1, 3)), {1: [10]})
    assert result.unallocated == {5: D(70)}
    assert result.spend[5] == D(70)
    assert result.total_allocated + result.total_unallocated == D(100)


def test_a_capability_no_objective_requires_keeps_what_it_carries():
    result = allocate({3: D(80)}, graph((1, 3)), {})
    assert result.unallocated == {1: D(80)}
    assert result.objectives == {}


def test_a_cycle_pools_its_cost_and_passes_it_on_once():
    # 2 and 3 depend on each other; capability 1 depends on 2; database 4 under 3.
    result = allocate(
        {2: D(10), 3: D(20), 4: D(30)}, graph((2, 3), (3, 2), (1, 2), (3, 4)), {1: [9]}
    )
    assert result.cycles == [frozenset({2, 3})]
    assert result.spend[2] == result.spend[3] == D(60)
    assert result.objectives == {9: D(60)}


def test_a_cycle_nobody_depends_on_is_unallocated_without_losing_money():
    result = allocate({1: D(10), 2: D(20)}, graph((1, 2), (2, 1)), {})
    assert result.total_unallocated == D(30)
    assert result.objectives == {}


def test_diamond_money_is_conserved_and_shares_are_exact():
    # 4 under 2 and 3, both under capability 1 and 2 also under capability 5.
    costs = {4: D(90), 2: D(9), 3: D(0)}
    result = allocate(costs, graph((2, 4), (3, 4), (1, 2), (1, 3), (5, 2)), {1: [10], 5: [20, 30]})
    assert result.spend[2] == D(54)  # 9 + half of 90
    assert result.spend[3] == D(45)
    assert result.spend[1] == D(27) + D(45)
    assert result.spend[5] == D(27)
    assert result.objectives == {10: D(72), 20: D("13.5"), 30: D("13.5")}
    assert result.total_allocated + result.total_unallocated == sum(costs.values())


def test_nodes_without_cost_are_not_walked():
    result = allocate({1: D(0)}, graph((2, 1)), {2: [10]})
    assert result.spend == {} and result.objectives == {}


def test_a_window_inside_one_month_counts_its_days():
    assert month_weights(dt.date(2026, 6, 1), dt.date(2026, 6, 10)) == {
        dt.date(2026, 6, 1): D(10) / D(30)
    }


def test_a_window_across_months_counts_each_months_share():
    weights = month_weights(dt.date(2026, 1, 21), dt.date(2026, 3, 1))
    assert weights == {
        dt.date(2026, 1, 1): D(11) / D(31),
        dt.date(2026, 2, 1): D(1),
        dt.date(2026, 3, 1): D(1) / D(31),
    }


def test_a_leap_february_has_29_days():
    assert month_weights(dt.date(2028, 2, 1), dt.date(2028, 2, 15)) == {
        dt.date(2028, 2, 1): D(15) / D(29)
    }


def test_a_window_cutting_days_counts_parts_of_days():
    start = dt.datetime(2026, 6, 29, 12)
    weights = month_weights_between(start, start + dt.timedelta(days=7))
    assert weights == {
        dt.date(2026, 6, 1): D("1.5") / D(30),
        dt.date(2026, 7, 1): D("5.5") / D(31),
    }


def test_percentiles_are_nearest_rank():
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 90) == 10.0
    assert percentile([5.0], 90) == 5.0
    rows = time_to_unblock([("a", dt.date(2026, 6, 1), 1.0), ("a", dt.date(2026, 6, 1), 3.0)])
    assert rows == [
        {"team": "a", "month": "2026-06", "unblocked": 2, "median_hours": 2.0, "p90_hours": 3.0}
    ]


def test_blocked_series_steps_at_the_first_moment_after_a_change():
    moments = [dt.datetime(2026, 6, day, 23, 59) for day in (1, 2, 3, 4)]
    history = {
        "a": [
            (dt.datetime(2026, 6, 2, 10), "operational", "blocked"),
            (dt.datetime(2026, 6, 4, 23, 59), "blocked", "operational"),
        ],
        "b": [(dt.datetime(2026, 5, 1), "blocked", "degraded")],  # before the window
    }
    items = [
        Tracked("a", "operational", D(100)),
        Tracked("b", "degraded", D(10)),
        Tracked("c", "blocked", D(1)),  # no change: blocked throughout
    ]
    assert blocked_series(items, history, moments) == [
        (1, D(1)),
        (2, D(101)),
        (2, D(101)),
        (1, D(1)),
    ]
