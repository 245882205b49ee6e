"""Reads of the state history that stay small on a large organisation.

An item's state at the start of a window is the `from_state` of its first transition after
that start (transitions chain: each starts where the previous ended), or its current state if
it has not changed since. So a window needs only the transitions since it began, not the whole
history: on a year of history that is the difference between a month of rows and a year.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q

from dependencies.models import StateTransition
from reports.loaders import ItemRef, Transition

BLOCKED = "blocked"
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
    selects that ended in [start, end). A blockage began at the item's last move into
    `blocked` before its end: inside the window, or, for one already under way when the window
    began, the last before it (one grouped row per item). A blockage whose start the history
    does not hold is left out. At most three queries, none reading more than the items that
    were unblocked."""
    unblocks = list(
        StateTransition.objects.filter(at__gte=start, at__lt=end, from_state=BLOCKED)
        .exclude(to_state=BLOCKED)
        .filter(where)
        .filter(Q(node__team__isnull=False) | Q(objective__team__isnull=False))
        .order_by("at")
        .values_list("node_id", "objective_id", "at", "node__team__slug", "objective__team__slug")
    )
    if not unblocks:
        return []
    node_ids = {n for n, _, _, _, _ in unblocks if n is not None}
    objective_ids = {o for _, o, _, _, _ in unblocks if o is not None}
    items = Q(node_id__in=node_ids) | Q(objective_id__in=objective_ids)
    into_blocked = StateTransition.objects.filter(to_state=BLOCKED).exclude(from_state=BLOCKED)
    began: dict[ItemRef, list[dt.datetime]] = {}
    for node_id, objective_id, at in (
        into_blocked.filter(items, at__gte=start, at__lt=end)
        .order_by("at")
        .values_list("node_id", "objective_id", "at")
    ):
        began.setdefault(_ref(node_id, objective_id), []).append(at)

    def first_start(ref: ItemRef, unblocked_at: dt.datetime) -> dt.datetime | None:
        starts = [b for b in began.get(ref, ()) if b < unblocked_at]
        return starts[-1] if starts else None

    refs = [_ref(n, o) for n, o, _, _, _ in unblocks]
    earlier = {
        ref
        for ref, (_, _, at, _, _) in zip(refs, unblocks, strict=True)
        if not first_start(ref, at)
    }
    before: dict[ItemRef, dt.datetime] = {}
    if earlier:
        prior = into_blocked.filter(
            Q(node_id__in={pk for kind, pk in earlier if kind == "node"})
            | Q(objective_id__in={pk for kind, pk in earlier if kind == "objective"}),
            at__lt=start,
        )
        for node_id, objective_id, last in (
            prior.values("node_id", "objective_id")
            .annotate(last=Max("at"))
            .values_list("node_id", "objective_id", "last")
        ):
            before[_ref(node_id, objective_id)] = last
    episodes = []
    for ref, (_, _, at, node_team, objective_team) in zip(refs, unblocks, strict=True):
        began_at = first_start(ref, at) or before.get(ref)
        if began_at is not None:
            hours = (at - began_at).total_seconds() / 3600
            episodes.append((node_team or objective_team, at, hours))
    return episodes


def _ref(node_id: int | None, objective_id: int | None) -> ItemRef:
    return ("node", node_id) if node_id is not None else ("objective", objective_id)  # type: ignore[return-value]
