"""State propagation over a compiled graph: the rules of DESIGN §2.2-2.5 in one place.

Every vertex gets an effective state (an int, see `State`) and a root-cause *bitset*: an int
whose bit k stands for the k-th cause in a `CauseIndex`. Unions of causes are then a single
`|`, which keeps one pass over 250,000 edges well under a second; the bitsets are turned
into sorted slug tuples only when results are handed out.

Root causes, precisely. Let s be the effective state of vertex X. When s is operational, X
has no root causes. Otherwise the root causes of X are:
- X itself when its intrinsic state equals s (a node intrinsically degraded but blocked by a
  dependency is not a cause of its own blockage: its degradation is masked);
- for every input of X whose contribution equals s, the root causes of the input's target:
  a hard edge contributes the target's state; a soft edge contributes at most degraded (so a
  blocked target reaches a degraded X, with the causes of its blockage); a redundancy group
  contributes the m-th best of its members' contributions and its *carrying* members are
  those whose contribution is at least as bad as the group's.
So a blocked X has the intrinsically blocked nodes whose blockage reaches it through hard
edges and groups that pass it; a degraded X has the intrinsically bad nodes whose state
reaches it as degraded. Inputs that are better than s explain nothing and are ignored.

Cycles (SCCs): nodes on a cycle share the worst state of the cycle. Each member is first
evaluated with its inputs from inside the cycle read as operational; the cycle's state S is
the worst of those. This is the least fixed point of the rules above plus the sharing, so
no iteration (and no endless loop) is needed. The cycle's root causes, shared by every
member, are then gathered as above at level S with every member at S: the members
intrinsically at S, and what the carrying inputs from outside the cycle carry (what an
input from inside carries is the shared set itself).

Forced states (what-if) replace a node's state outright: a node forced to blocked is blocked
with itself as its only root cause, a node forced to operational is operational whatever
its dependencies do.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dependencies.impact import kernel
from dependencies.impact.graph import DependencyGraph, RedundancyGroup
from dependencies.impact.model import State

__all__ = ["BLOCKED", "DEGRADED", "OPERATIONAL", "STATES", "CauseIndex", "Propagation"]

# The hot loops compare plain ints; these are the values of State, and STATES[value] turns
# one back into a State without going through the Enum machinery.
OPERATIONAL = int(State.OPERATIONAL)
DEGRADED = int(State.DEGRADED)
BLOCKED = int(State.BLOCKED)
STATES: tuple[State, ...] = tuple(State)


# How many decoded sets of root causes a cause index keeps (a full pass at 250,000 nodes
# decodes about 34,000; each entry is about a kilobyte there).
DECODED_LIMIT = 100_000


@dataclass(frozen=True, eq=False)
class CauseIndex:
    """Which node each bit of a root-cause bitset stands for.

    Bits are only ever added, so a bitset means the same thing in every result derived from
    the one it was made in; a derived result that needs new bits gets its own copy.
    """

    bit_of: list[int]  # per vertex: 1 << k when the vertex has bit k, else 0
    slug_of_bit: list[str]
    decoded: dict[int, tuple[str, ...]]  # cache: many vertices share one set of causes

    @classmethod
    def for_vertices(cls, graph: DependencyGraph, vertices: Iterable[int]) -> CauseIndex:
        index = cls(bit_of=[0] * graph.vertex_count, slug_of_bit=[], decoded={0: ()})
        return index.with_bits_for(graph, sorted(vertices, key=graph.slugs.__getitem__))

    def with_bits_for(self, graph: DependencyGraph, vertices: Iterable[int]) -> CauseIndex:
        """This index, or a copy extended with bits for those `vertices` that lack one."""
        missing = [v for v in vertices if not self.bit_of[v]]
        if not missing:
            return self
        bit_of = list(self.bit_of)
        slug_of_bit = list(self.slug_of_bit)
        for vertex in missing:
            bit_of[vertex] = 1 << len(slug_of_bit)
            slug_of_bit.append(graph.slugs[vertex])
        return CauseIndex(bit_of=bit_of, slug_of_bit=slug_of_bit, decoded=dict(self.decoded))

    def decode(self, bits: int) -> tuple[str, ...]:
        """The sorted slugs of a bitset."""
        slugs = self.decoded.get(bits)
        if slugs is None:
            binary = bin(bits)  # "0b1010…", most significant bit first
            top = len(binary) - 1
            found = []
            position = binary.find("1", 2)
            while position != -1:
                found.append(self.slug_of_bit[top - position])
                position = binary.find("1", position + 1)
            slugs = tuple(sorted(found))
            if len(self.decoded) >= DECODED_LIMIT:
                # Shared by every result derived from one full result, in a worker that
                # may run for weeks: the sets of causes no result holds any more would
                # pile up (at 250,000 nodes each key is a bitset of a kilobyte).
                self.decoded.clear()
            self.decoded[bits] = slugs
        return slugs


@dataclass(eq=False)
class Propagation:
    """Effective states and root-cause bitsets of every vertex, and how to recompute them.

    `states`, `causes` and `intrinsic` are owned by this object: derive a copy with `fork`
    before changing anything that a published result still uses.
    """

    graph: DependencyGraph
    intrinsic: list[int]
    forced: dict[int, int]
    states: list[int]
    causes: list[int]
    cause_index: CauseIndex

    @classmethod
    def start(
        cls, graph: DependencyGraph, intrinsic: list[int], forced: dict[int, int]
    ) -> Propagation:
        bad = [v for v, state in enumerate(intrinsic) if state]
        bad.extend(v for v, state in forced.items() if state)
        return cls(
            graph=graph,
            intrinsic=intrinsic,
            forced=forced,
            states=[OPERATIONAL] * graph.vertex_count,
            causes=[0] * graph.vertex_count,
            cause_index=CauseIndex.for_vertices(graph, set(bad)),
        )

    def fork(
        self,
        *,
        graph: DependencyGraph | None = None,
        intrinsic: dict[int, int] | None = None,
        forced: dict[int, int] | None = None,
    ) -> Propagation:
        """A copy with some intrinsic states changed and/or a new set of forced states."""
        new_intrinsic = self.intrinsic
        if intrinsic:
            new_intrinsic = list(self.intrinsic)
            for vertex, state in intrinsic.items():
                new_intrinsic[vertex] = state
        new_forced = self.forced if forced is None else forced
        graph = graph or self.graph
        bad = [v for v, state in (intrinsic or {}).items() if state]
        bad.extend(v for v, state in new_forced.items() if state)
        return Propagation(
            graph=graph,
            intrinsic=new_intrinsic,
            forced=new_forced,
            states=list(self.states),
            causes=list(self.causes),
            cause_index=self.cause_index.with_bits_for(graph, bad),
        )

    # --- whole graph ------------------------------------------------------------------

    def run_all(self) -> None:
        """Evaluate every component in order: each is settled once its dependencies are."""
        graph = self.graph
        if kernel.compiled is not None:  # the same loop, compiled (dependencies.impact.kernel)
            kernel.compiled.run_all(
                graph.components,
                graph.cycle_components,
                self.evaluate_cycle,
                graph.hard,
                graph.soft,
                graph.groups,
                self.intrinsic,
                self.forced,
                self.cause_index.bit_of,
                self.states,
                self.causes,
            )
            return
        states, causes = self.states, self.causes
        cycle_components = self.graph.cycle_components
        evaluate = self.single_vertex_rules()
        for position, members in enumerate(self.graph.components):
            if len(members) > 1 or position in cycle_components:
                for vertex, state, vertex_causes in self.evaluate_cycle(members):
                    states[vertex], causes[vertex] = state, vertex_causes
            else:
                vertex = members[0]
                states[vertex], causes[vertex] = evaluate(vertex)

    # --- only what depends on a change --------------------------------------------------

    def run_from(self, vertices: Iterable[int]) -> set[int]:
        """Re-evaluate `vertices` and, as far as results change, what depends on them.

        Components are taken in evaluation order (a heap of positions), so every component
        is evaluated at most once, after all its changed dependencies. Returns the vertices
        whose state or root causes changed.
        """
        graph = self.graph
        states, causes = self.states, self.causes
        component_of, components = graph.component_of, graph.components
        dependents, cycle_components = graph.dependents, graph.cycle_components
        evaluate = self.single_vertex_rules()
        heappop, heappush = heapq.heappop, heapq.heappush
        queued = {component_of[v] for v in vertices}
        heap = sorted(queued)
        changed: set[int] = set()
        while heap:
            position = heappop(heap)
            members = components[position]
            if len(members) == 1 and position not in cycle_components:
                vertex = members[0]
                state, vertex_causes = evaluate(vertex)
                if state == states[vertex] and vertex_causes == causes[vertex]:
                    continue
                states[vertex], causes[vertex] = state, vertex_causes
                changed.add(vertex)
                for dependent in dependents[vertex]:
                    dependent_position = component_of[dependent]
                    if dependent_position not in queued:
                        queued.add(dependent_position)
                        heappush(heap, dependent_position)
                continue
            for vertex, state, vertex_causes in self.evaluate_cycle(members):
                if state == states[vertex] and vertex_causes == causes[vertex]:
                    continue
                states[vertex], causes[vertex] = state, vertex_causes
                changed.add(vertex)
                for dependent in dependents[vertex]:
                    dependent_position = component_of[dependent]
                    if dependent_position not in queued:
                        queued.add(dependent_position)
                        heappush(heap, dependent_position)
        return changed

    def run_states_from(self, vertices: Iterable[int]) -> set[int]:
        """`run_from` for states alone: what depends on a vertex is evaluated again only if
        the vertex's state changed. Returns the vertices whose state changed.

        Leaves `causes` out of date: for a copy whose states alone are read (what-if).
        """
        graph = self.graph
        states = self.states
        component_of, components = graph.component_of, graph.components
        dependents, cycle_components = graph.dependents, graph.cycle_components
        state_of = self.state_of
        queued = {component_of[v] for v in vertices}
        heap = sorted(queued)
        changed: set[int] = set()
        while heap:
            position = heapq.heappop(heap)
            members = components[position]
            if len(members) == 1 and position not in cycle_components:
                results = [(members[0], state_of(members[0]))]
            else:
                results = [(vertex, state) for vertex, state, _ in self.evaluate_cycle(members)]
            for vertex, state in results:
                if state == states[vertex]:
                    continue
                states[vertex] = state
                changed.add(vertex)
                for dependent in dependents[vertex]:
                    dependent_position = component_of[dependent]
                    if dependent_position not in queued:
                        queued.add(dependent_position)
                        heapq.heappush(heap, dependent_position)
        return changed

    def single_vertex_rules(self) -> Callable[[int], tuple[int, int]]:
        """`evaluate_vertex` for a vertex outside any cycle, with every lookup done once.

        At 260,000 vertices the method calls and attribute lookups of `evaluate_vertex`
        cost more than the rules themselves; this closure is the same rules in one call.
        """
        graph = self.graph
        states, intrinsic, forced = self.states, self.intrinsic, self.forced
        hard, soft, groups = graph.hard, graph.soft, graph.groups
        get_state = states.__getitem__
        causes, bit_of = self.causes, self.cause_index.bit_of
        evaluate_forced = self.evaluate_forced

        def evaluate(vertex: int) -> tuple[int, int]:
            if forced and vertex in forced:
                return evaluate_forced(vertex)
            state = intrinsic[vertex]
            targets = hard[vertex]
            if targets:
                worst = max(map(get_state, targets))
                if worst > state:
                    state = worst
            targets = soft[vertex]
            if targets and state == OPERATIONAL and any(map(get_state, targets)):
                state = DEGRADED  # a soft edge passes at most degraded
            for group in groups[vertex]:
                group_state = _group_state(group, states)
                if group_state > state:
                    state = group_state
            if state == OPERATIONAL:
                return OPERATIONAL, 0
            # `causes_at`, inlined.
            found = bit_of[vertex] if intrinsic[vertex] == state else 0
            for target in hard[vertex]:
                if states[target] == state:
                    found |= causes[target]
            if state == DEGRADED:
                for target in soft[vertex]:
                    if states[target]:
                        found |= causes[target]
            for group in groups[vertex]:
                if _group_state(group, states) != state:
                    continue
                for target in group.hard:
                    if states[target] >= state:
                        found |= causes[target]
                for target in group.soft:
                    if min(states[target], DEGRADED) >= state:
                        found |= causes[target]
            return state, found

        return evaluate

    # --- the rules ------------------------------------------------------------------------

    def evaluate_vertex(self, vertex: int) -> tuple[int, int]:
        """(effective state, root-cause bitset) of one vertex from its inputs' current values."""
        state = self.state_of(vertex)
        if state == OPERATIONAL:
            return OPERATIONAL, 0
        return state, self.causes_at(vertex, state)

    def state_of(self, vertex: int) -> int:
        """The worst of the vertex's intrinsic state and its inputs' contributions."""
        if self.forced and vertex in self.forced:
            return self.forced[vertex]
        graph = self.graph
        states = self.states
        state = self.intrinsic[vertex]
        hard = graph.hard[vertex]
        if hard:
            worst = max(map(states.__getitem__, hard))
            if worst > state:
                state = worst
        soft = graph.soft[vertex]
        if soft and state == OPERATIONAL and any(map(states.__getitem__, soft)):
            state = DEGRADED  # a soft edge passes at most degraded
        for group in graph.groups[vertex]:
            group_state = _group_state(group, states)
            if group_state > state:
                state = group_state
        return state

    def causes_at(self, vertex: int, level: int) -> int:
        """The root causes of a vertex whose effective state is `level` (not operational):
        itself if intrinsically at that level, plus what its carrying inputs carry.

        `single_vertex_rules` inlines this and `state_of`; the properties in tests/impact
        hold both readings to the slow reference (cycles go through these methods).
        """
        bit = self.cause_index.bit_of[vertex]
        if self.forced and vertex in self.forced:
            return bit if self.forced[vertex] == level else 0
        graph = self.graph
        states, causes = self.states, self.causes
        found = bit if self.intrinsic[vertex] == level else 0
        for target in graph.hard[vertex]:
            if states[target] == level:
                found |= causes[target]
        if level == DEGRADED:
            for target in graph.soft[vertex]:
                if states[target]:
                    found |= causes[target]
        for group in graph.groups[vertex]:
            if _group_state(group, states) != level:
                continue
            # The members at least as bad as the group carry it.
            for target in group.hard:
                if states[target] >= level:
                    found |= causes[target]
            for target in group.soft:
                if min(states[target], DEGRADED) >= level:
                    found |= causes[target]
        return found

    def evaluate_cycle(self, members: tuple[int, ...]) -> list[tuple[int, int, int]]:
        """[(vertex, state, causes)] for the members of a cycle, which share the worst state.

        Leaves `states` and `causes` as they were; the caller stores the results.
        """
        states, causes, forced = self.states, self.causes, self.forced
        saved = [(states[vertex], causes[vertex]) for vertex in members]
        # Seed each member with the inputs from inside the cycle read as operational.
        for vertex in members:
            states[vertex], causes[vertex] = OPERATIONAL, 0
        worst = max(self.state_of(vertex) for vertex in members)
        shared = 0
        if worst != OPERATIONAL:
            # Causes are gathered at the final states, so that e.g. a redundancy group with
            # one member inside the cycle and one outside carries both. What the inside
            # inputs carry is the shared set itself, so their causes stay 0 meanwhile.
            for vertex in members:
                states[vertex] = forced.get(vertex, worst)
            for vertex in members:
                shared |= self.causes_at(vertex, worst)
        for vertex, (state, vertex_causes) in zip(members, saved, strict=True):
            states[vertex], causes[vertex] = state, vertex_causes

        results = []
        for vertex in members:
            if vertex in forced:
                results.append((vertex, *self.evaluate_forced(vertex)))
            else:
                results.append((vertex, worst, shared))
        return results

    def evaluate_forced(self, vertex: int) -> tuple[int, int]:
        state = self.forced[vertex]
        return state, self.cause_index.bit_of[vertex] if state else 0


def _group_state(group: RedundancyGroup, states: list[int]) -> int:
    """The m-th best of the members' contributions (m = min_operational)."""
    contributions = [states[t] for t in group.hard]
    contributions.extend(min(states[t], DEGRADED) for t in group.soft)
    if not any(contributions):
        return OPERATIONAL
    contributions.sort()  # best first
    return contributions[group.min_operational - 1]
