"""Daily series and time to unblock from the state history (report `trends`). Pure.

An item's state at a moment: the `to_state` of its last transition before it; before its first
transition, that transition's `from_state`; with no transition at all, its current state (as in
`reports.history`).
"""

from __future__ import annotations

import bisect
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
    """At each moment (ascending): how many of `items` were blocked, and their summed weight.

    Each change is a step at the first moment at or after it (a difference array), so the cost
    follows the transitions, not items x days."""
    count = [0] * (len(moments) + 1)
    weight = [Decimal(0)] * (len(moments) + 1)
    for item in items:
        transitions = history.get(item.ref, ())
        blocked = (transitions[0][1] if transitions else item.current_state) == BLOCKED
        if blocked:
            count[0] += 1
            weight[0] += item.weight
        for at, _from, to in transitions:
            now_blocked = to == BLOCKED
            if now_blocked != blocked:
                step = 1 if now_blocked else -1
                index = bisect.bisect_left(moments, at)
                count[index] += step
                weight[index] += step * item.weight
                blocked = now_blocked
    series = []
    running_count, running_weight = 0, Decimal(0)
    for i in range(len(moments)):
        running_count += count[i]
        running_weight += weight[i]
        series.append((running_count, running_weight))
    return series


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
