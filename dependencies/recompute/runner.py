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
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cataligent.leases import Lease, LeaseLost
from dependencies import impact
from dependencies.impact.gc_pause import collected_as_long_lived
from dependencies.models import ImpactState, IntrinsicChange, ShapeChange
from dependencies.recompute.loader import (
    LoadedGraph,
    load_graph,
    load_intrinsic_states,
)
from dependencies.recompute.noted import noted_intrinsic_states
from dependencies.recompute.rewiring import Rewiring, noted_rewiring
from dependencies.recompute.stored import differing_nodes
from dependencies.recompute.team_counts import (
    HeldCounts,
    audit_marker,
    counts_of_full_pass,
    counts_of_update,
)
from dependencies.recompute.update_writer import store_update
from dependencies.recompute.writer import StoreOutcome, save_summary, store_results

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
    team_counts: HeldCounts  # the map's counts by team stored with this version


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


def _locked_state_row() -> ImpactState:
    """The ImpactState row, locked until the transaction ends: the results are stored
    under this lock.

    On PostgreSQL the same statement turns off `synchronous_commit` for this transaction
    (`set_config(..., true)` is `SET LOCAL`, one round trip fewer): the stored results are
    derived data, and this transaction need not wait for its commit to reach the disk.
    Lost in a crash, it is lost whole: `computed` and the spent change notes with the
    results, so the next pass computes them again. A ticket change rewrites hundreds of
    rows; the flush was a good part of the incremental recompute's wall time.
    https://www.postgresql.org/docs/15/wal-async-commit.html
    """
    rows = _state_row().select_for_update()
    if connection.vendor == "postgresql":
        rows = rows.annotate(
            commit_without_waiting_for_disk=RawSQL(
                "set_config('synchronous_commit', 'off', true)", ()
            )
        )
    return rows.get(pk=1)


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

    def stored(self, version: int, written: StoreOutcome, *, incremental: bool) -> None:
        """Count a pass that stored `version`, writing `written`."""
        self.incremental = incremental
        self.version = version
        self.nodes_written += written.nodes_written
        self.objectives_written += written.objectives_written


def impact_recompute(*, force: bool = False, reason: str = "recompute") -> RecomputeOutcome:
    """Bring the stored results up to date; returns at once if another run holds the lease.

    `force` recomputes even when nothing was requested (commands, the periodic safety net).
    """
    outcome = RecomputeOutcome(ran=False)
    while True:
        lease = recompute_lease()
        if not lease.claim():
            # Made by a migration; a flushed test database lacks it (looked for only here,
            # not on every call: a ticket change's pass counts its round trips).
            ImpactState.objects.get_or_create(pk=1)
            if not lease.claim():
                return outcome  # the lease holder looks again after letting go
        try:
            with lease.kept():
                state = _state_row().get(pk=1)
                while state.computed < state.requested or not state.computed_at or force:
                    # A forced pass (commands, the periodic safety net) re-reads every
                    # intrinsic state rather than trusting the noted changes.
                    # The row it returns was read under its lock, after the last request
                    # it saw; later ones are caught by the read after letting go.
                    state = _one_pass(state, outcome, reason, lease, thorough=force)
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
) -> ImpactState:
    """Compute and store once; returns the ImpactState row as this pass left it."""
    global _cache
    started = time.monotonic()
    target = state.requested
    now = timezone.now()
    cached = _cache
    outcome.ran = True
    outcome.passes += 1
    rewiring = _rewiring_for(cached, state, target, thorough=thorough)
    if cached is not None and rewiring is not None:
        with collected_as_long_lived():  # the new result is kept until the next change
            locked = _incremental_pass(
                state,
                cached,
                rewiring,
                outcome,
                reason,
                lease,
                thorough=thorough,
                now=now,
                started=started,
            )
        if locked is not None:
            return locked

    # Held off for the whole pass: it allocates a million objects, none in a reference
    # cycle, and the collector would walk them again and again (about 80 collections,
    # 0.45 s of CPU at 250,000 nodes; one afterwards instead).
    with collected_as_long_lived():  # the result and the graph are kept
        teams_as_of = audit_marker()  # the loaded node teams are those of this audit entry
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
            locked = _locked_state_row()
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
            team_counts = counts_of_full_pass(  # the map's counts by team
                locked.version,
                locked.structure,
                loaded.graph,
                loaded.teams,
                teams_as_of=teams_as_of,
            )
        _cache = _Cached(
            locked.version,
            state.structure,
            target,
            result,
            dict(zip(loaded.nodes.slugs, loaded.nodes.pks, strict=True)),
            {key: row.pk for key, row in loaded.objectives.items()},
            team_counts,
        )
    outcome.stored(locked.version, written, incremental=False)
    return locked


def _incremental_pass(
    state: ImpactState,
    cached: _Cached,
    rewiring: Rewiring,
    outcome: RecomputeOutcome,
    reason: str,
    lease: Lease,
    *,
    thorough: bool,
    now: datetime,
    started: float,
) -> ImpactState | None:
    """Update the cached result with the intrinsic states and the edges and requirements
    that changed, and store what moved; returns the ImpactState row as stored, or None
    (nothing done) when the changes name a node the cached graph does not have."""
    global _cache
    target = state.requested
    if thorough or state.unscoped > cached.computed:
        intrinsic = load_intrinsic_states()
        complete = intrinsic.keys() == cached.result.nodes.keys()
    else:
        # Only the nodes the changes named since the cached result (ingest, overrides).
        intrinsic = noted_intrinsic_states(cached.computed, target)
        complete = intrinsic.keys() <= cached.result.nodes.keys()
    if not complete:
        return None
    # Read from the engine's lists, not results: a thorough pass compares every node.
    index = cached.result.graph.node_index
    held = cached.result.propagation.intrinsic
    changes = {slug: value for slug, value in intrinsic.items() if held[index[slug]] != value}
    try:
        update = impact.update_impact(
            cached.result,
            now=now,
            intrinsic=changes,
            dependencies=rewiring.dependencies,
            requirements=rewiring.requirements,
        )
    except impact.ImpactError:
        # An edge to a node the cached graph lacks: a shape change it was not told of.
        log.warning("recompute: the cached graph cannot take the noted shape changes")
        return None
    with transaction.atomic():
        locked = _locked_state_row()
        _check_lease(locked, lease)
        # The cached result is what is stored: the rows the engine found changed are
        # written as they are, without comparing them again.
        written = store_update(
            cached.result,
            update,
            node_pks=cached.node_pks,
            objective_pks=cached.objective_pks,
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
        forget_noted_changes(target, shapes=state.structure != cached.structure)
        # The map's counts by team, carried over from the nodes that changed and the edges
        # that came or went.
        team_counts = counts_of_update(
            cached.team_counts,
            before=cached.result,
            after=update.result,
            changed=update.changed_vertices,
            rewired={index[slug] for slug in rewiring.dependencies},
            version=locked.version,
            structure=state.structure,  # the graph this pass computed on
        )
    _cache = _Cached(
        locked.version,
        state.structure,
        target,
        update.result,
        cached.node_pks,
        cached.objective_pks,
        team_counts,
    )
    outcome.stored(locked.version, written, incremental=True)
    return locked


def _rewiring_for(
    cached: _Cached | None, state: ImpactState, target: int, *, thorough: bool
) -> Rewiring | None:
    """The shape changes to apply to the cached graph (none if its shape is current), or
    None if the cache cannot be used: none, stale, forced to re-read, or a shape change
    since it that did not say what it touched."""
    if cached is None or cached.version != state.version:
        return None
    if cached.structure == state.structure:
        return Rewiring()
    if thorough or state.reshaped > cached.structure:
        return None
    return noted_rewiring(cached.computed, target)


def forget_noted_changes(upto: int, *, shapes: bool = True) -> None:
    """The stored results now reflect every change up to `upto`: its notes are spent.
    `shapes=False`: no shape change was noted since the last pass (the graph's structure
    held), so there are no ShapeChange rows to delete (one statement fewer per ticket)."""
    IntrinsicChange.objects.filter(requested__lte=upto).delete()
    if shapes:
        ShapeChange.objects.filter(requested__lte=upto).delete()


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
