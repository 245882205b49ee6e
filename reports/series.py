"""Daily series and time to unblock from the state history (report `trends`). Pure.

An item's state at a moment: the `to_state` of its last transition before it; before its first
transition, that transition's `from_state`; with no transition at all, its current state (as in
`reports.history`).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

BLOCKED = "blocked"
Ref = TypeVar("Ref")
Transition = tuple[dt.datetime, str, str]


@dataclass(frozen=True)
class Tracked(Generic[Ref]):
    ref: Ref
    current_state: str
    weight: Decimal = Decimal(1)  # what a blocked item adds: 1 to a count, its value to a sum


def blocked_series(
    items: Iterable[Tracked[Ref]],
    history: Mapping[Ref, Sequence[Transition]],
    moments: Sequence[dt.datetime],
) -> list[tuple[int, Decimal]]:
    """At each moment (ascending): how many of `items` were blocked, and their summed weight."""
    # Items that did not change are blocked (or not) at every moment alike: counted once.
    steady_count, steady_weight = 0, Decimal(0)
    count = [0] * len(moments)
    weight = [Decimal(0)] * len(moments)
    for item in items:
        transitions = history.get(item.ref, ())
        if not transitions:
            if item.current_state == BLOCKED:
                steady_count += 1
                steady_weight += item.weight
            continue
        state = transitions[0][1]
        t = 0
        for i, moment in enumerate(moments):
            while t < len(transitions) and transitions[t][0] <= moment:
                state = transitions[t][2]
                t += 1
            if state == BLOCKED:
                count[i] += 1
                weight[i] += item.weight
    return [(c + steady_count, w + steady_weight) for c, w in zip(count, weight, strict=True)]


def open_at(
    intervals: Iterable[tuple[dt.datetime, dt.datetime | None]], moments: Sequence[dt.datetime]
) -> list[int]:
    """How many [opened, closed) intervals (closed None: still open) hold each moment."""
    counts = [0] * len(moments)
    for opened, closed in intervals:
        for i, moment in enumerate(moments):
            if opened <= moment and (closed is None or moment < closed):
                counts[i] += 1
    return counts


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `pct` % at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def time_to_unblock(
    durations: Iterable[tuple[str, dt.date, float]],
) -> list[dict[str, object]]:
    """Median and p90 hours per (team, month of the unblock), from (team, month, hours)."""
    groups: dict[tuple[str, dt.date], list[float]] = {}
    for team, month, hours in durations:
        groups.setdefault((team, month), []).append(hours)
    return [
        {
            "team": team,
            "month": f"{month:%Y-%m}",
            "unblocked": len(values),
            "median_hours": round(statistics.median(values), 1),
            "p90_hours": round(percentile(values, 90), 1),
        }
        for (team, month), values in sorted(groups.items())
    ]
