"""Reads of the state history that stay small on a large organisation.

An item's state at the start of a window is the `from_state` of its first transition after
that start (transitions chain: each starts where the previous ended), or its current state if
it has not changed since. So a window needs only the transitions since it began, not the whole
history: on a year of history that is the difference between a month of rows and a year.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from dependencies.models import StateTransition
from reports.loaders import ItemRef, Transition

CAPABILITIES_AND_OBJECTIVES = Q(objective__isnull=False) | Q(node__kind="capability")


def transitions_since(start: dt.datetime, where: Q) -> dict[ItemRef, list[Transition]]:
    """The transitions at or after `start` of the items `where` selects, oldest first."""
    rows = (
        StateTransition.objects.filter(at__gte=start)
        .filter(where)
        .order_by("at", "id")
        .values_list("node_id", "objective_id", "at", "from_state", "to_state")
    )
    found: dict[ItemRef, list[Transition]] = {}
    for node_id, objective_id, at, from_state, to_state in rows:
        ref: ItemRef = ("node", node_id) if node_id is not None else ("objective", objective_id)
        found.setdefault(ref, []).append((at, from_state, to_state))
    return found


def unblock_episodes(
    start: dt.datetime, end: dt.datetime, where: Q
) -> list[tuple[str, dt.datetime, float]]:
    """(owning team slug, unblocked at, hours blocked) for each blockage of an item `where`
    selects that ended in [start, end). Two queries: the unblocks, then the moments those
    items became blocked. A blockage whose start the history does not hold is left out."""
    unblocks = list(
        StateTransition.objects.filter(at__gte=start, at__lt=end, from_state="blocked")
        .exclude(to_state="blocked")
        .filter(where)
        .filter(Q(node__team__isnull=False) | Q(objective__team__isnull=False))
        .values_list("node_id", "objective_id", "at", "node__team__slug", "objective__team__slug")
    )
    if not unblocks:
        return []
    node_ids = {n for n, _, _, _, _ in unblocks if n is not None}
    objective_ids = {o for _, o, _, _, _ in unblocks if o is not None}
    began: dict[ItemRef, list[dt.datetime]] = {}
    for node_id, objective_id, at in (
        StateTransition.objects.filter(at__lt=end, to_state="blocked")
        .exclude(from_state="blocked")
        .filter(Q(node_id__in=node_ids) | Q(objective_id__in=objective_ids))
        .order_by("at")
        .values_list("node_id", "objective_id", "at")
    ):
        ref: ItemRef = ("node", node_id) if node_id is not None else ("objective", objective_id)
        began.setdefault(ref, []).append(at)
    episodes = []
    for node_id, objective_id, at, node_team, objective_team in unblocks:
        ref = ("node", node_id) if node_id is not None else ("objective", objective_id)
        starts = [b for b in began.get(ref, ()) if b < at]
        if starts:
            hours = (at - starts[-1]).total_seconds() / 3600
            episodes.append((node_team or objective_team, at, hours))
    return episodes
