"""When and how the impact results are recomputed (DESIGN §4, "recompute task (coalesced)").

Anything that can move a state calls `impact_changed()` (dependencies.graph.changes). That
bumps a counter in the database and, once the transaction commits, the recompute task is
queued (dependencies.recompute.tasks listens).
The task takes a lease so that at most one recompute runs at a time; it
computes whatever was requested up to that moment, so a burst of a thousand
changes costs a handful of recomputes, and it looks again after letting go of
the lease, so no change that finished is left out.

A worker keeps its last result in memory: when only intrinsic states changed
(tickets, manual overrides) and the stored results are still the ones it wrote,
it updates just the affected part of the graph instead of the whole. It re-reads the
intrinsic state of just the nodes the changes named (`IntrinsicChange`, noted by
`impact_changed(nodes=...)`), unless a change named none or the pass is forced.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cataligent.leases import Lease, LeaseLost
from dependencies import impact
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.models import ImpactState, IntrinsicChange
from dependencies.recompute.loader import (
    LoadedGraph,
    StoredRow,
    load_graph,
    load_intrinsic_states,
    noted_changes,
)
from dependencies.recompute.stored import differing_nodes
from dependencies.recompute.writer import save_summary, store_results

log = logging.getLogger(__name__)


@dataclass
class _Cached:
    """The last result this process stored, valid while `version` and `structure` hold."""

    version: int
    structure: int
    computed: int  # the `requested` value this result reflects
    result: impact.ImpactResult
    node_pks: dict[str, int]
    objective_pks: dict[str, int]


_cache: _Cached | None = None
# Web processes only read: what-if and single points of failure reuse one result
# while the stored version stays the same.
_read_cache: tuple[int, int, impact.ImpactResult] | None = None


def recompute_lease() -> Lease:
    """The lease on the one ImpactState row: at most one recompute at a time."""
    return Lease(ImpactState, 1, duration=timedelta(seconds=settings.RECOMPUTE_LEASE_SECONDS))


def _state_row() -> QuerySet[ImpactState]:
    """The ImpactState row without the stored cycles, read only when a full pass compares
    against them (the ranking has a table of its own: StoredBottleneck)."""
    return ImpactState.objects.defer("cycles")


def _commit_without_waiting_for_disk() -> None:
    """The stored results are derived data: this transaction need not wait for its commit
    to reach the disk (PostgreSQL's `synchronous_commit`, for this transaction only).

    Lost in a crash, it is lost whole: `computed` and the spent change notes with the
    results, so the next pass computes them again. A ticket change rewrites hundreds of
    rows; the flush was a good part of the incremental recompute's wall time.
    https://www.postgresql.org/docs/15/wal-async-commit.html
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _check_lease(locked: ImpactState, lease: Lease) -> None:
    """Results are stored under the lease: a pass that outlived it stores nothing."""
    if locked.claimed_by != lease.owner:
        raise LeaseLost("the recompute's lease was taken over; this pass stores nothing")


@dataclass
class RecomputeOutcome:
    ran: bool
    passes: int = 0
    version: int = 0
    incremental: bool = False
    nodes_written: int = 0
    objectives_written: int = 0


def impact_recompute(*, force: bool = False, reason: str = "recompute") -> RecomputeOutcome:
    """Bring the stored results up to date; returns at once if another run holds the lease.

    `force` recomputes even when nothing was requested (commands, the periodic safety net).
    """
    outcome = RecomputeOutcome(ran=False)
    ImpactState.objects.get_or_create(pk=1)  # made by a migration; a flushed test database lacks it
    while True:
        lease = recompute_lease()
        if not lease.claim():
            return outcome  # the lease holder looks again after letting go
        try:
            with lease.kept():
                while True:
                    state = _state_row().get(pk=1)
                    if state.computed >= state.requested and state.computed_at and not force:
                        break
                    # A forced pass (commands, the periodic safety net) re-reads every
                    # intrinsic state rather than trusting the noted changes.
                    _one_pass(state, outcome, reason, lease, thorough=force)
                    force = False
        except LeaseLost:
            # Too slow (or paused) and another recompute took over: it computes what was asked.
            log.warning("recompute stopped: its lease was taken over by another run")
            return outcome
        finally:
            lease.release()
        state = _state_row().get(pk=1)
        if state.computed >= state.requested:
            return outcome


def _one_pass(
    state: ImpactState, outcome: RecomputeOutcome, reason: str, lease: Lease, *, thorough: bool
) -> None:
    global _cache
    started = time.monotonic()
    target = state.requested
    now = timezone.now()
    cached = _cache
    outcome.ran = True
    outcome.passes += 1
    if (
        cached is not None
        and cached.version == state.version
        and cached.structure == state.structure
    ):
        if thorough or state.unscoped > cached.computed:
            intrinsic = load_intrinsic_states()
            complete = intrinsic.keys() == cached.result.nodes.keys()
        else:
            # Only the nodes the changes named since the cached result (ingest, overrides).
            intrinsic = load_intrinsic_states(noted_changes(cached.computed, target))
            complete = intrinsic.keys() <= cached.result.nodes.keys()
        if complete:
            # Read from the engine's lists, not results: a thorough pass compares every node.
            index = cached.result.graph.node_index
            held = cached.result.propagation.intrinsic
            changes = {
                slug: value for slug, value in intrinsic.items() if held[index[slug]] != value
            }
            update = impact.update_impact(cached.result, now=now, intrinsic=changes)
            stored_nodes = _rows(cached.result.nodes, cached.node_pks)
            stored_objectives = _rows(cached.result.objectives, cached.objective_pks)
            with transaction.atomic():
                _commit_without_waiting_for_disk()
                locked = _state_row().select_for_update().get(pk=1)
                _check_lease(locked, lease)
                written = store_results(
                    update.result,
                    stored_nodes=stored_nodes,
                    stored_objectives=stored_objectives,
                    only_nodes=update.changed_nodes,
                    only_objectives=update.changed_objectives,
                    version=locked.version + 1,
                    reason=reason,
                )
                save_summary(
                    locked,
                    update.result,
                    previous=cached.result,  # what is stored: the cache's version is current
                    computed=target,
                    changed=written.changed,
                    duration_ms=int((time.monotonic() - started) * 1000),
                )
                forget_noted_changes(target)
            _cache = _Cached(
                locked.version,
                state.structure,
                target,
                update.result,
                cached.node_pks,
                cached.objective_pks,
            )
            outcome.incremental = True
            outcome.version = locked.version
            outcome.nodes_written += written.nodes_written
            outcome.objectives_written += written.objectives_written
            return

    # Held off for the whole pass: it allocates a million objects, none in a reference
    # cycle, and the collector would walk them again and again (about 80 collections,
    # 0.45 s of CPU at 250,000 nodes; one afterwards instead).
    with garbage_collector_paused():
        loaded: LoadedGraph = load_graph()
        result = impact.compute_impact(
            loaded.graph,
            now=now,
            kept_node_since=loaded.nodes.kept_blocked_since(),
            previous_objectives=loaded.objectives,
        )
        # Every stored node compared with its result, a column at a time; the writer compares
        # and rewrites those that differ.
        differing = differing_nodes(result, loaded.nodes)
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            locked = _state_row().select_for_update().get(pk=1)
            _check_lease(locked, lease)
            written = store_results(
                result,
                stored_nodes=loaded.nodes,
                stored_objectives=loaded.objectives,
                only_nodes=differing,
                version=locked.version + 1,
                reason=reason,
            )
            save_summary(
                locked,
                result,
                computed=target,
                changed=written.changed,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            forget_noted_changes(target)
        _cache = _Cached(
            locked.version,
            state.structure,
            target,
            result,
            dict(zip(loaded.nodes.slugs, loaded.nodes.pks, strict=True)),
            {key: row.pk for key, row in loaded.objectives.items()},
        )
    outcome.incremental = False
    outcome.version = locked.version
    outcome.nodes_written += written.nodes_written
    outcome.objectives_written += written.objectives_written


def forget_noted_changes(upto: int) -> None:
    """The stored results now reflect every change up to `upto`: its notes are spent."""
    IntrinsicChange.objects.filter(requested__lte=upto).delete()


class _LazyRows(dict):  # type: ignore[type-arg]
    """StoredRow views of a previous result, made only for the items looked up."""

    def __init__(self, results: Any, pks: dict[str, int]) -> None:
        super().__init__()
        self._results = results
        self._pks = pks

    def __missing__(self, key: str) -> StoredRow:
        item = self._results[key]
        row = StoredRow(
            self._pks[key],
            item.state,
            item.blocked_since,
            item.root_causes,
            getattr(item, "intrinsic_state", impact.State.OPERATIONAL),
        )
        self[key] = row
        return row


def _rows(results: Any, pks: dict[str, int]) -> _LazyRows:
    return _LazyRows(results, pks)


def current_result() -> impact.ImpactResult:
    """The result the stored state reflects, for what-if and single points of failure.

    Uses this process's cached result when it is the stored one; otherwise loads the
    graph and computes it (without storing anything).
    """
    global _read_cache
    state, _ = ImpactState.objects.get_or_create(pk=1)
    cached = _cache
    if (
        cached is not None
        and cached.version == state.version
        and cached.structure == state.structure
    ):
        return cached.result
    if _read_cache is not None and _read_cache[:2] == (state.version, state.structure):
        return _read_cache[2]
    loaded = load_graph()
    result = impact.compute_impact(
        loaded.graph,
        now=state.computed_at or timezone.now(),
        kept_node_since=loaded.nodes.kept_blocked_since(),
        previous_objectives=loaded.objectives,
    )
    _read_cache = (state.version, state.structure, result)
    return result


def forget_cache() -> None:
    """Drop this process's cached result (tests; after restoring a database)."""
    global _cache, _read_cache
    _cache = None
    _read_cache = None
