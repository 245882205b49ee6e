"""The incremental recompute's writer: the rows an update changed, read from the engine's lists.

`writer.store_results` compares results with stored rows. After an incremental update the
engine has already made that comparison as it holds the results (states, root-cause
bitsets, blocked-since: `ImpactUpdate.changed_vertices`), against the previous result, which
is what the database holds (the runner keeps it only while its version is the stored one).
So this writes exactly those rows, decodes only their new root causes, and makes no result
or stored-row objects: at 250,000 nodes a ticket change rewrites about 500 rows, and making
and comparing their results (old and new) was most of the change's CPU time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dependencies import impact
from dependencies.recompute.writer import (
    StoreOutcome,
    TransitionRow,
    _insert_transitions,
    _update_nodes,
    _update_objectives,
)

__all__ = ["store_update"]

# Labels by the engine's state ints (State.OPERATIONAL, DEGRADED, BLOCKED).
_LABELS = tuple(state.label for state in impact.State)


def store_update(
    previous: impact.ImpactResult,
    update: impact.ImpactUpdate,
    *,
    node_pks: Mapping[str, int],
    objective_pks: Mapping[str, int],
    version: int,
    reason: str,
) -> StoreOutcome:
    """Write the rows of the items `update` changed and their state transitions.

    `previous` is the result `update` was derived from and the one the stored rows reflect.
    Call inside a transaction.
    """
    result = update.result
    graph, propagation = result.graph, result.propagation
    states, intrinsic, causes = propagation.states, propagation.intrinsic, propagation.causes
    decode = propagation.cause_index.decode
    old_states, since = previous.propagation.states, result.blocked_since
    slugs, node_count = graph.slugs, graph.node_count
    now, reason = result.computed_at, reason[:300]
    node_rows: list[tuple[int, str, str, list[str], datetime | None]] = []
    objective_rows: list[tuple[int, str, list[str], datetime | None]] = []
    transitions: list[TransitionRow] = []
    for vertex in update.changed_vertices:
        state = _LABELS[states[vertex]]
        root_causes = list(decode(causes[vertex]))
        if vertex < node_count:
            node: int | None = node_pks[slugs[vertex]]
            objective: int | None = None
            node_rows.append((node, _LABELS[intrinsic[vertex]], state, root_causes, since[vertex]))
        else:
            node, objective = None, objective_pks[slugs[vertex]]
            objective_rows.append((objective, state, root_causes, since[vertex]))
        before = _LABELS[old_states[vertex]]
        if before != state:
            transitions.append((node, objective, before, state, now, root_causes, reason, version))
    _update_nodes(node_rows, version)
    _update_objectives(objective_rows, version)
    _insert_transitions(transitions)
    return StoreOutcome(
        nodes_written=len(node_rows),
        objectives_written=len(objective_rows),
        transitions=len(transitions),
    )
