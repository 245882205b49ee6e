"""The map's counts by team as stored for the current version, and as a count of every node
and edge in SQL says they are: the recompute's tests and the grouped map's compare them."""

from __future__ import annotations

from typing import Any

from dependencies.map.drawing import change_marker
from dependencies.models import ImpactState, TeamCounts
from dependencies.recompute import team_counts

Counts = tuple[dict[Any, int], dict[Any, list[int]]]


def stored_now() -> Counts:
    """The counts the last pass stored for the current version, structure and audit marker
    (the row the map reads)."""
    state = ImpactState.objects.get()
    row = TeamCounts.objects.get(
        version=state.version, structure=state.structure, marker=change_marker()
    )
    return (
        {(team, s): n for team, s, n in row.states},
        {(source, target): [n, bad] for source, target, n, bad in row.links},
    )


def counted_now() -> Counts:
    states, links = team_counts._counted()
    return {key: n for key, n in states.items() if n}, links
