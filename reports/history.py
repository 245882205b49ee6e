"""Blocked time from the state history (`StateTransition`), as plain intervals. Pure.

An item's state between two transitions is the `to_state` of the earlier one; before its
first transition it is that transition's `from_state`; after its last, its `to_state`.
An item with no transition at all has been in its current state all along.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

BLOCKED = "blocked"
HOURS_PER_WEEK = Decimal(168)

Interval = tuple[dt.datetime, dt.datetime]


def blocked_intervals(
    transitions: Sequence[tuple[dt.datetime, str, str]],
    start: dt.datetime,
    end: dt.datetime,
    *,
    current_state: str,
) -> list[Interval]:
    """The parts of [start, end) when the item was blocked.

    `transitions` are `(at, from_state, to_state)` of one item, oldest first.
    """
    if not transitions:
        return [(start, end)] if current_state == BLOCKED and start < end else []
    intervals: list[Interval] = []
    state = transitions[0][1]
    since = start
    for at, _from, to in transitions:
        if at >= end:
            break
        if at > since:
            if state == BLOCKED:
                intervals.append((since, at))
            since = at
        state = to
    if state == BLOCKED and since < end:
        intervals.append((max(since, start), end))
    return [(a, b) for a, b in intervals if b > a]


def hours(intervals: Iterable[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals) / 3600


def value_lost(value_at_stake_per_week: Decimal, blocked_hours: float) -> Decimal:
    """Value at stake per week times blocked weeks, to the cent."""
    weeks = Decimal(str(round(blocked_hours, 4))) / HOURS_PER_WEEK
    return (value_at_stake_per_week * weeks).quantize(Decimal("0.01"))


def blocked_at(intervals: Sequence[Interval], moment: dt.datetime) -> bool:
    return any(a <= moment < b for a, b in intervals)


def blocked_hours_after(intervals: Sequence[Interval], moment: dt.datetime) -> float:
    """How long the item stayed blocked without a break from `moment` on (0 if not blocked)."""
    for a, b in intervals:
        if a <= moment < b:
            return (b - moment).total_seconds() / 3600
    return 0.0
