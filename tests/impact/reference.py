"""A slow, obviously-correct reading of DESIGN §2 to check the engine against.

It shares no code with the engine: no compiled graph, no evaluation order, no bitsets. It
applies the rules to every item again and again until nothing changes. States only ever go
up and root-cause sets only ever grow, so this reaches the least fixed point, which is what
the engine computes in one ordered pass. Cycles are found by plain reachability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dependencies.impact import Criticality, Edge, Node, Objective, State

OBJECTIVE = "objective:"  # prefix that keeps objective keys apart from node slugs


@dataclass
class Input:
    """An ungrouped edge or requirement, or a redundancy group of edges."""

    members: list[tuple[str, bool]]  # (target, is_hard)
    min_operational: int = 1  # 1 for an ungrouped input (a group of one)


@dataclass
class Reference:
    intrinsic: dict[str, State] = field(default_factory=dict)
    inputs: dict[str, list[Input]] = field(default_factory=dict)
    forced: dict[str, State] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        nodes: Iterable[Node],
        edges: Iterable[Edge],
        objectives: Iterable[Objective],
        forced: Mapping[str, State] | None = None,
    ) -> Reference:
        reference = cls(forced=dict(forced or {}))
        for node in nodes:
            reference.intrinsic[node.slug] = node.intrinsic_state
            reference.inputs[node.slug] = []
        groups: dict[tuple[str, str], Input] = {}
        for edge in edges:
            is_hard = edge.criticality == Criticality.HARD
            if not edge.redundancy_group:
                reference.inputs[edge.source].append(Input([(edge.target, is_hard)]))
                continue
            key = (edge.source, edge.redundancy_group)
            if key not in groups:
                groups[key] = Input([], 1)
                reference.inputs[edge.source].append(groups[key])
            groups[key].members.append((edge.target, is_hard))
            # Members that disagree on min_operational: the largest wins.
            groups[key].min_operational = max(groups[key].min_operational, edge.min_operational)
        for objective in objectives:
            item = OBJECTIVE + objective.key
            reference.intrinsic[item] = State.OPERATIONAL
            reference.inputs[item] = [
                Input([(r.node, r.criticality == Criticality.HARD)]) for r in objective.requires
            ]
        return reference

    # --- cycles -------------------------------------------------------------------------

    def reachable(self, item: str) -> set[str]:
        seen: set[str] = set()
        todo = [t for i in self.inputs[item] for t, _ in i.members]
        while todo:
            target = todo.pop()
            if target not in seen:
                seen.add(target)
                todo.extend(t for i in self.inputs[target] for t, _ in i.members)
        return seen

    def cycles(self) -> list[set[str]]:
        """Sets of items that all reach each other (a self-loop is a cycle of one)."""
        reach = {item: self.reachable(item) for item in self.inputs}
        cycles: list[set[str]] = []
        for item in self.inputs:
            if item in reach[item] and not any(item in c for c in cycles):
                cycles.append({other for other in reach[item] if item in reach[other]})
        return cycles

    # --- the rules ----------------------------------------------------------------------

    @staticmethod
    def contribution(state: State, is_hard: bool) -> State:
        return state if is_hard else min(state, State.DEGRADED)

    def input_state(self, one: Input, states: Mapping[str, State]) -> State:
        """The m-th best of the members' contributions."""
        contributions = sorted(self.contribution(states[t], hard) for t, hard in one.members)
        return contributions[min(one.min_operational, len(contributions)) - 1]

    def states(self) -> dict[str, State]:
        states = dict.fromkeys(self.inputs, State.OPERATIONAL)
        cycles = self.cycles()
        changed = True
        while changed:
            changed = False
            for item, inputs in self.inputs.items():
                if item in self.forced:
                    new = self.forced[item]
                else:
                    new = max(
                        [self.intrinsic[item], *(self.input_state(i, states) for i in inputs)]
                    )
                if new > states[item]:
                    states[item], changed = new, True
            for cycle in cycles:
                worst = max(states[item] for item in cycle)
                for item in cycle - self.forced.keys():
                    if states[item] < worst:
                        states[item], changed = worst, True
        return states

    def root_causes(self, states: Mapping[str, State]) -> dict[str, set[str]]:
        causes: dict[str, set[str]] = {item: set() for item in self.inputs}
        cycles = self.cycles()
        changed = True
        while changed:
            changed = False
            for item, inputs in self.inputs.items():
                level = states[item]
                if level == State.OPERATIONAL:
                    continue
                found: set[str] = set()
                if item in self.forced:
                    found = {item} if self.forced[item] == level else set()
                else:
                    if self.intrinsic[item] == level:
                        found.add(item)
                    for one in inputs:
                        group_state = self.input_state(one, states)
                        if group_state != level:
                            continue
                        for target, hard in one.members:
                            if self.contribution(states[target], hard) >= group_state:
                                found |= causes[target]
                if not found <= causes[item]:
                    causes[item] |= found
                    changed = True
            for cycle in cycles:
                shared = set().union(*(causes[item] for item in cycle))
                for item in cycle - self.forced.keys():
                    if not shared <= causes[item]:
                        causes[item] |= shared
                        changed = True
        return causes
