"""What the database holds for every node, as the loader read it: columns, not rows.

A full pass compares 260,000 stored results with the engine's. Held as columns in the
graph's node order, they are compared a column at a time in C (`map(ne, ...)`), and a
`StoredRow` is made only for a node that is looked up: the few that differ, which the
writer compares again field by field and rewrites. Nothing is skipped: every stored state,
intrinsic state, blocked-since and set of root causes is read and compared on every pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import compress
from operator import ne
from typing import Any, NamedTuple

from django.utils.dateparse import parse_datetime

from dependencies import impact
from dependencies.impact import State


class StoredRow(NamedTuple):
    """What the database holds for one node or objective (the engine's PreviousState)."""

    pk: int
    state: State
    blocked_since: datetime | None
    root_causes: tuple[str, ...]
    intrinsic_state: State = State.OPERATIONAL


class Parsed(dict):  # type: ignore[type-arg]
    """Text parsed once per distinct value: 260,000 nodes share a few thousand sets of root
    causes and a handful of blocked-since moments."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, text: Any) -> Any:
        value = self[text] = self._parse(text)
        return value


def json_list(value: Any) -> tuple[str, ...]:
    """A JSON list column as the driver gives it: text (PostgreSQL's jsonb as Django reads
    it, SQLite) or already parsed."""
    if isinstance(value, str):
        return () if value == "[]" else tuple(json.loads(value))
    return tuple(value or ())


def moment(value: Any) -> datetime | None:
    """A timestamp column: PostgreSQL gives aware datetimes (or text, read as such); SQLite
    gives UTC as text, or as a naive datetime when its converter for the column's declared
    type ran. Naive is UTC: written back naive, Django would read it in TIME_ZONE."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


# Never a bitset of root causes (those are >= 0): stored causes that cannot equal any.
_NO_MATCH = -1


@dataclass(frozen=True, eq=False)
class StoredNodes(Mapping[str, StoredRow]):
    """Every node's stored result, a list per column in the graph's node order.

    A read-only mapping from slug to `StoredRow`, made when looked up. `root_causes` is the
    stored JSON as text (or a list, off PostgreSQL), parsed only for the rows looked up and,
    once per distinct value, to compare with the engine's bitsets.
    """

    index: dict[str, int]  # slug -> position in the columns
    slugs: list[str]
    pks: list[int]
    states: list[State]
    intrinsic_states: list[State]
    blocked_since: list[datetime | None]
    root_causes: list[Any]

    def __getitem__(self, slug: str) -> StoredRow:
        i = self.index[slug]
        return StoredRow(
            self.pks[i],
            self.states[i],
            self.blocked_since[i],
            json_list(self.root_causes[i]),
            self.intrinsic_states[i],
        )

    def __contains__(self, slug: object) -> bool:
        return slug in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.slugs)

    def __len__(self) -> int:
        return len(self.slugs)

    def kept_blocked_since(self) -> list[datetime | None]:
        """Per node, when it became blocked if it is stored as blocked, else None: what
        `compute_impact(kept_node_since=...)` continues blocked-since from."""
        blocked = State.BLOCKED
        return [
            since if state is blocked else None
            for state, since in zip(self.states, self.blocked_since, strict=True)
        ]


def differing_nodes(result: impact.ImpactResult, stored: StoredNodes) -> list[str]:
    """The slugs of the nodes whose result differs from what is stored, in vertex order.

    Every column is compared for every node: state, intrinsic state, blocked-since and root
    causes. Root causes are compared as the engine's bitsets: each distinct stored set is
    read once into the bitset of the result's cause index (a set the index cannot express,
    or not stored sorted and without repeats as the writer stores it, never matches).
    """
    graph, propagation = result.graph, result.propagation
    count = graph.node_count
    if stored.slugs != graph.slugs[:count]:  # not the loader's columns for this graph
        return [
            new.slug
            for new in result.node_values()
            if (new.state, new.intrinsic_state, new.blocked_since, new.root_causes)
            != _fields(stored.get(new.slug))
        ]
    index = propagation.cause_index
    bit_of_slug = {slug: 1 << k for k, slug in enumerate(index.slug_of_bit)}
    stored_bits = Parsed(lambda text: _cause_bits(text, bit_of_slug))
    stored_causes = stored.root_causes
    if any(isinstance(value, list) for value in stored_causes):  # parsed: hashable copies
        stored_causes = [tuple(v) if isinstance(v, list) else v for v in stored_causes]
    columns = (
        (propagation.states[:count], stored.states),
        (propagation.intrinsic[:count], stored.intrinsic_states),
        (result.blocked_since[:count], stored.blocked_since),
        (propagation.causes[:count], map(stored_bits.__getitem__, stored_causes)),
    )
    differing: set[int] = set()
    positions = range(count)
    for new, old in columns:
        differing.update(compress(positions, map(ne, new, old)))
    slugs = graph.slugs
    return [slugs[v] for v in sorted(differing)]


def _fields(row: StoredRow | None) -> tuple[Any, ...] | None:
    if row is None:
        return None
    return (row.state, row.intrinsic_state, row.blocked_since, row.root_causes)


def _cause_bits(stored: Any, bit_of_slug: dict[str, int]) -> int:
    """The bitset of a stored list of root causes, or _NO_MATCH."""
    if stored is None or stored == "[]" or stored == ():
        return 0
    if (
        isinstance(stored, str)
        and "\\" not in stored
        and stored[:2] == '["'
        and stored[-2:] == '"]'
    ):
        # jsonb's text form of a list of strings; a quote inside a string would be escaped.
        slugs: Any = stored[2:-2].split('", "')
    else:
        try:
            slugs = json.loads(stored) if isinstance(stored, str) else list(stored)
        except ValueError:
            return _NO_MATCH
        if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
            return _NO_MATCH
    if slugs != sorted(set(slugs)):
        return _NO_MATCH
    try:
        return sum(map(bit_of_slug.__getitem__, slugs))  # distinct bits: the sum is the union
    except KeyError:
        return _NO_MATCH
