"""Redundancy groups: the edges of one source that are alternatives ("n of m")."""

from __future__ import annotations

from itertools import compress
from typing import TYPE_CHECKING, NamedTuple

from dependencies.impact import kernel
from dependencies.impact.model import InvalidGraphError

if TYPE_CHECKING:
    from dependencies.impact.graph import GraphColumns


class RedundancyGroup(NamedTuple):
    """The edges of one source that share a `redundancy_group` label.

    `min_operational` is the largest value found on the members (the strictest reading when
    they disagree), clamped to the group's size. A named tuple: a large organisation has
    tens of thousands, and a tuple is several times cheaper to make than a frozen dataclass.
    """

    min_operational: int
    hard: tuple[int, ...]
    soft: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return self.hard + self.soft


NO_GROUPS: tuple[RedundancyGroup, ...] = ()


def redundancy_groups(
    columns: GraphColumns, is_hard: list[bool], count: int
) -> list[tuple[RedundancyGroup, ...]]:
    """The redundancy groups of each of `count` vertices, from the edges that have a group
    label."""
    labels = columns.groups
    sources, targets = columns.sources, columns.targets
    minimums = list(compress(columns.min_operational, labels))
    try:
        valid = not minimums or min(minimums) >= 1
    except TypeError:
        valid = False
    if not valid:
        for position in compress(range(len(labels)), labels):
            edge = columns.edge(position)
            if not isinstance(edge.min_operational, int) or edge.min_operational < 1:
                raise InvalidGraphError(
                    f"edge {edge.source}→{edge.target}: min_operational must be at least 1"
                )
    if kernel.compiled is not None:  # the same loop, compiled (dependencies.impact.kernel)
        return kernel.compiled.redundancy_groups(
            count, sources, targets, labels, is_hard, columns.min_operational, RedundancyGroup
        )
    # (source, label) -> hard members, soft members, [largest min_operational]
    members: dict[tuple[int, str], tuple[list[int], list[int], list[int]]] = {}
    keys = zip(compress(sources, labels), compress(labels, labels), strict=True)
    grouped = zip(
        keys,
        compress(targets, labels),
        compress(is_hard, labels),
        minimums,
        strict=True,
    )
    for key, target, hard, minimum in grouped:
        entry = members.get(key)  # type: ignore[arg-type]
        if entry is None:
            entry = members[key] = ([], [], [minimum])  # type: ignore[index]
        elif minimum > entry[2][0]:
            # Members that disagree on min_operational: the largest (the strictest) wins.
            entry[2][0] = minimum
        (entry[0] if hard else entry[1]).append(target)
    groups: list[tuple[RedundancyGroup, ...]] = [NO_GROUPS] * count
    for source, label in sorted(members):
        hard_members, soft_members, (minimum,) = members[(source, label)]
        group = RedundancyGroup(
            min_operational=min(minimum, len(hard_members) + len(soft_members)),
            hard=tuple(hard_members),
            soft=tuple(soft_members),
        )
        groups[source] = (*groups[source], group)
    return groups
