"""Single points of failure: nodes whose failure alone blocks an objective (DESIGN §2.8).

Running one what-if per node would cost 50,000 propagations. Instead one pass in evaluation
order computes, for every vertex v that is not blocked now, the set F(v) of nodes whose
single failure (forced to blocked) would block v:

- v itself;
- a hard edge to t: all of F(t) (a soft edge never passes blocked, so it adds nothing);
- a redundancy group is blocked once at least (size - m + 1) members contribute blocked.
  Members blocked already count; soft members never contribute blocked; each other member
  t contributes blocked exactly when the failure is in F(t). If `need` more members must
  fail, the group adds the nodes found in at least `need` of those members' sets: the union
  when need is 1, the intersection when every member must fail (a plain OR group);
- a cycle: every member's failure blocks the whole cycle, and so does every node that blocks
  one member when the cycle's inside inputs are read as operational (the same reading as in
  `propagation`).

The objectives that are not blocked now are then blocked by exactly the nodes in their F.
Sets are Python sets of vertices, dropped once every dependent has used them. They are small
(at 250,000 nodes: 5 members at the median, a few hundred at most), so sets beat int bitsets
here: a bitset over the evaluation order is as wide as its highest member, and 100,000 of
them alive at once took 1.6 GB where the sets take tens of MB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set
from decimal import Decimal

from dependencies.impact.engine import ImpactResult
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.impact.graph import DependencyGraph, RedundancyGroup
from dependencies.impact.model import SinglePointOfFailure
from dependencies.impact.propagation import BLOCKED

__all__ = ["single_points_of_failure"]


def single_points_of_failure(result: ImpactResult) -> tuple[SinglePointOfFailure, ...]:
    """Nodes whose failure alone blocks at least one objective that is not blocked now.

    Each with those objectives (sorted) and their value at stake per week; most value first,
    then most objectives, then slug. A node forced by a what-if scenario counts as fixed in
    that state: its own failure still counts, failures below it do not reach through it.
    """
    graph = result.graph
    objectives_of: defaultdict[int, list[int]] = defaultdict(list)
    with garbage_collector_paused():  # a set per vertex, none of them in a cycle
        found = _FailureSets(result).for_objectives()
    for vertex, blockers in found.items():
        for node in blockers:
            objectives_of[node].append(vertex)

    points = []
    for node, objectives in objectives_of.items():
        points.append(
            SinglePointOfFailure(
                node=graph.slugs[node],
                objectives=tuple(sorted(graph.slugs[o] for o in objectives)),
                value_at_risk=sum(
                    (graph.values[o - graph.node_count] for o in objectives), Decimal(0)
                ),
            )
        )
    points.sort(key=lambda p: (-p.value_at_risk, -len(p.objectives), p.node))
    return tuple(points)


_NONE: frozenset[int] = frozenset()


class _FailureSets:
    """F(v) for every vertex, computed in one pass over the evaluation order."""

    def __init__(self, result: ImpactResult) -> None:
        self.graph: DependencyGraph = result.graph
        self.states = result.propagation.states
        self.forced = result.propagation.forced

    def for_objectives(self) -> dict[int, Set[int]]:
        """{objective vertex: F} for the objectives that are not blocked now."""
        graph = self.graph
        node_count = graph.node_count
        states = self.states
        sets: list[Set[int]] = [_NONE] * graph.vertex_count
        # How many dependents still have to read a vertex's set before it can be dropped.
        readers = [len(set(d)) if len(d) > 1 else len(d) for d in graph.dependents]
        found: dict[int, Set[int]] = {}
        cycle_components = graph.cycle_components
        for position, members in enumerate(graph.components):
            if len(members) == 1 and position not in cycle_components:
                vertex = members[0]
                sets[vertex] = self.failure_set(vertex, sets)
            else:
                for vertex, blockers in self.cycle_failure_sets(members, sets):
                    sets[vertex] = blockers
            for vertex in members:
                if vertex >= node_count and states[vertex] != BLOCKED:
                    found[vertex] = sets[vertex]
                for target in graph.dependencies(vertex):
                    readers[target] -= 1
                    if readers[target] == 0:
                        sets[target] = _NONE
        return found

    def failure_set(self, vertex: int, sets: list[Set[int]]) -> Set[int]:
        """F(vertex) from the sets of its inputs."""
        if vertex in self.forced:
            # Fixed by the scenario: only its own failure overrides that.
            return _NONE if self.forced[vertex] == BLOCKED else self.own(vertex)
        if self.states[vertex] == BLOCKED:
            return _NONE  # already blocked: nothing can newly block it
        graph = self.graph
        blockers = set(self.own(vertex))
        for target in graph.hard[vertex]:
            blockers |= sets[target]
        for group in graph.groups[vertex]:
            blockers |= self.group_failure_set(group, sets)
        return blockers

    def own(self, vertex: int) -> Set[int]:
        # Objectives cannot fail by themselves; only nodes are candidates.
        return _NONE if vertex >= self.graph.node_count else frozenset((vertex,))

    def group_failure_set(self, group: RedundancyGroup, sets: list[Set[int]]) -> Set[int]:
        states = self.states
        blocked = sum(1 for t in group.hard if states[t] == BLOCKED)
        size = len(group.hard) + len(group.soft)
        need = size - group.min_operational + 1 - blocked
        candidates = [sets[t] for t in group.hard if states[t] != BLOCKED]
        if need < 1 or need > len(candidates):
            # need < 1 would mean blocked already, which the caller has ruled out; more
            # than the candidates means soft members keep the group from ever blocking.
            return _NONE
        if need == 1:
            return set().union(*candidates)
        # at_least[j]: the nodes found in at least j + 1 of the candidates' sets so far.
        at_least: list[Set[int]] = [_NONE] * need
        for blockers in candidates:
            for j in range(need - 1, 0, -1):
                at_least[j] = at_least[j] | (at_least[j - 1] & blockers)
            at_least[0] = at_least[0] | blockers
        return at_least[need - 1]

    def cycle_failure_sets(
        self, members: tuple[int, ...], sets: list[Set[int]]
    ) -> list[tuple[int, Set[int]]]:
        """[(vertex, F)] for the members of a cycle."""
        # Inside inputs read as operational: their sets are still empty (nothing known yet).
        seeds = [(vertex, self.failure_set(vertex, sets)) for vertex in members]
        shared: set[int] = set()
        for _, blockers in seeds:
            shared |= blockers
        results: list[tuple[int, Set[int]]] = []
        for vertex, blockers in seeds:
            if vertex in self.forced:
                results.append((vertex, blockers))
            elif self.states[vertex] == BLOCKED:
                results.append((vertex, _NONE))
            else:
                results.append((vertex, shared))
        return results
