"""The bottleneck ranking (DESIGN §2.7), made once and then kept up to date.

For each root cause R: the blocked capabilities and blocked objectives that have R among
their root causes, and the sum of those objectives' value at stake per week. Sorted by that
value (descending), then by number of objectives (descending), then by slug.

At 250,000 nodes a full ranking reads every blocked capability's and objective's root
causes (about 0.4 s with 5,000 causes), while one ticket change moves a few hundred items:
`Ranking.updated` starts from the ranking of the result an update was derived from and
touches only the causes of the items that changed. The properties in tests/impact hold it
to a full ranking after random changes.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from dependencies.impact.model import Bottleneck

if TYPE_CHECKING:
    from dependencies.impact.propagation import Propagation

__all__ = ["Ranking"]

_BLOCKED = 2  # State.BLOCKED; propagation imports the graph, which must not import this back


def _rank(bottleneck: Bottleneck) -> tuple[Decimal, int, str]:
    return (-bottleneck.value_at_risk, -len(bottleneck.objectives), bottleneck.node)


@dataclass(frozen=True, eq=False)
class Ranking:
    """The ranking and what it was made from: per cause slug, the blocked capability and
    objective vertices it blocks. Never changed once made; `updated` returns a new one that
    shares every set it did not have to change."""

    capabilities: dict[str, set[int]]
    objectives: dict[str, set[int]]
    entries: dict[str, Bottleneck]
    ranked: tuple[Bottleneck, ...]

    @classmethod
    def of(cls, propagation: Propagation) -> Ranking:
        """The whole ranking, read from every capability and objective."""
        graph = propagation.graph
        states, causes = propagation.states, propagation.causes
        decode = propagation.cause_index.decode
        capabilities: dict[str, set[int]] = {}
        objectives: dict[str, set[int]] = {}
        for vertex in graph.capability_vertices:
            if states[vertex] == _BLOCKED:
                for cause in decode(causes[vertex]):
                    capabilities.setdefault(cause, set()).add(vertex)
        for vertex in range(graph.node_count, graph.vertex_count):
            if states[vertex] == _BLOCKED:
                for cause in decode(causes[vertex]):
                    objectives.setdefault(cause, set()).add(vertex)
        entries = {
            cause: _entry(propagation, cause, capabilities, objectives)
            for cause in capabilities.keys() | objectives.keys()
        }
        return cls(capabilities, objectives, entries, tuple(sorted(entries.values(), key=_rank)))

    def updated(self, before: Propagation, after: Propagation, vertices: Iterable[int]) -> Ranking:
        """The ranking of `after`, given that this is the ranking of `before` and that only
        `vertices` may differ between the two (an incremental update's or a what-if's)."""
        graph = after.graph
        kinds, node_count = graph.kinds, graph.node_count
        old_states, old_causes = before.states, before.causes
        new_states, new_causes = after.states, after.causes
        old_decode, new_decode = before.cause_index.decode, after.cause_index.decode
        capabilities, objectives = dict(self.capabilities), dict(self.objectives)
        copied: set[tuple[bool, str]] = set()  # the sets this ranking owns already
        touched: set[str] = set()
        for vertex in vertices:
            is_objective = vertex >= node_count
            if not is_objective and kinds[vertex] != "capability":
                continue
            old = old_decode(old_causes[vertex]) if old_states[vertex] == _BLOCKED else ()
            new = new_decode(new_causes[vertex]) if new_states[vertex] == _BLOCKED else ()
            if old == new:
                continue
            table = objectives if is_objective else capabilities
            for cause in set(old).symmetric_difference(new):
                if (is_objective, cause) not in copied:
                    table[cause] = set(table.get(cause, ()))
                    copied.add((is_objective, cause))
                if cause in new:
                    table[cause].add(vertex)
                else:
                    table[cause].discard(vertex)
                touched.add(cause)
        if not touched:
            return self
        entries = dict(self.entries)
        # The touched entries move within the ranking, the rest keep their order: each is
        # taken out and put back by binary search (ranks are distinct: they end with the
        # slug), not the 2,000 entries sorted again with a Decimal key each.
        ranked = list(self.ranked)
        for cause in touched:
            for table in (capabilities, objectives):
                if cause in table and not table[cause]:
                    del table[cause]
            old_entry = entries.pop(cause, None)
            if old_entry is not None:
                del ranked[bisect_left(ranked, _rank(old_entry), key=_rank)]
            if cause in capabilities or cause in objectives:
                entries[cause] = _entry(after, cause, capabilities, objectives)
                insort(ranked, entries[cause], key=_rank)
        return Ranking(capabilities, objectives, entries, tuple(ranked))


def _entry(
    propagation: Propagation,
    cause: str,
    capabilities: dict[str, set[int]],
    objectives: dict[str, set[int]],
) -> Bottleneck:
    graph = propagation.graph
    slugs, values, node_count = graph.slugs, graph.values, graph.node_count
    blocked_objectives = sorted(objectives.get(cause, ()))
    return Bottleneck(
        node=cause,
        capabilities=tuple(sorted(slugs[v] for v in capabilities.get(cause, ()))),
        objectives=tuple(sorted(slugs[v] for v in blocked_objectives)),
        # Summed in vertex order from zero, as a full ranking does: the same digits.
        value_at_risk=sum((values[v - node_count] for v in blocked_objectives), Decimal(0)),
    )
