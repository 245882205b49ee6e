"""What-if scenarios: force nodes to blocked or operational and see what changes (DESIGN §2.8)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from dependencies.impact.engine import ImpactResult, derived_result
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.impact.model import ImpactError, StateChange
from dependencies.impact.propagation import BLOCKED, OPERATIONAL, STATES

__all__ = ["WhatIfResult", "what_if"]


@dataclass(frozen=True)
class WhatIfResult:
    """The nodes and objectives whose effective state would change, sorted by slug / key.

    `value_at_risk_delta` is the scenario's value at risk minus the base's: the value at
    stake per week of objectives that would become blocked, minus that of objectives that
    would stop being blocked. `scenario` is the full hypothetical result; it can be the base
    of a further what-if.

    The changes need only states, which settle after a few thousand evaluations even when
    the node with most dependents fails; the scenario's root causes change for every
    blocked item downstream (tens of thousands at 250,000 nodes). So `scenario` is worked
    out on first use: the what-if page never asks for it.
    """

    nodes: tuple[StateChange, ...]
    objectives: tuple[StateChange, ...]
    value_at_risk_delta: Decimal
    base: ImpactResult = field(repr=False, compare=False)
    make_scenario: Callable[[], ImpactResult] = field(repr=False, compare=False)

    @cached_property
    def scenario(self) -> ImpactResult:
        return self.make_scenario()

    @property
    def capabilities(self) -> tuple[StateChange, ...]:
        nodes = self.base.nodes  # kinds do not change in a scenario
        return tuple(change for change in self.nodes if nodes[change.item].kind == "capability")


def what_if(
    result: ImpactResult,
    *,
    block: Iterable[str] = (),
    unblock: Iterable[str] = (),
    release: Iterable[str] = (),
) -> WhatIfResult:
    """What changes if the nodes in `block` fail and the nodes in `unblock` are fixed.

    A forced node takes the forced state outright: forced to blocked, it is its own and
    only root cause; forced to operational, it is operational whatever its own tickets and
    its dependencies say ("what if this were working"). `release` removes forces set by an
    earlier what-if on `result`, so `what_if(scenario, release=...)` undoes a scenario.
    `result` is not changed.
    """
    graph = result.graph
    block_vertices = {graph.vertex(slug) for slug in block}
    unblock_vertices = {graph.vertex(slug) for slug in unblock}
    both = block_vertices & unblock_vertices
    if both:
        slugs = sorted(graph.slugs[v] for v in both)
        raise ImpactError(f"cannot both block and unblock {', '.join(slugs)}")

    base = result.propagation
    forced = dict(base.forced)
    for vertex in {graph.vertex(slug) for slug in release}:
        forced.pop(vertex, None)
    forced.update(dict.fromkeys(block_vertices, BLOCKED))
    forced.update(dict.fromkeys(unblock_vertices, OPERATIONAL))
    touched = {v for v in forced.keys() | base.forced.keys() if forced.get(v) != base.forced.get(v)}

    with garbage_collector_paused():  # as in update_impact: thousands of small objects
        states_only = base.fork(forced=forced)
        changed = states_only.run_states_from(touched)

    node_changes: list[StateChange] = []
    objective_changes: list[StateChange] = []
    delta = Decimal(0)
    # Most changed vertices only gained or lost root causes: sort just the state changes.
    old_states, new_states = base.states, states_only.states
    state_changed = [v for v in changed if old_states[v] != new_states[v]]
    for vertex in sorted(state_changed, key=graph.slugs.__getitem__):
        before, after = old_states[vertex], new_states[vertex]
        change = StateChange(graph.slugs[vertex], STATES[before], STATES[after])
        if not graph.is_objective(vertex):
            node_changes.append(change)
            continue
        objective_changes.append(change)
        value = graph.values[vertex - graph.node_count]
        if after == BLOCKED:
            delta += value
        elif before == BLOCKED:
            delta -= value
    return WhatIfResult(
        nodes=tuple(node_changes),
        objectives=tuple(objective_changes),
        value_at_risk_delta=delta,
        base=result,
        make_scenario=lambda: _scenario(result, forced, touched),
    )


def _scenario(result: ImpactResult, forced: dict[int, int], touched: set[int]) -> ImpactResult:
    """The whole hypothetical result: states and root causes."""
    with garbage_collector_paused():
        propagation = result.propagation.fork(forced=forced)
        changed = propagation.run_from(touched)
        return derived_result(result, propagation, changed, result.computed_at)
