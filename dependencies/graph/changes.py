"""The recompute trigger: "something the impact depends on changed" (DESIGN §4).

Every writer calls `impact_changed()`: the graph's services, objectives' services, the sync and
the webhooks, the admin. It sits low in the house so that all of them may import it; it only
records the change and, once the transaction commits, sends `impact_change_recorded`. The
recompute room (`dependencies.recompute.tasks`) listens and queues the recompute, so nothing
below it has to import the recompute to ask for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal

from dependencies.models import ImpactState, IntrinsicChange, ShapeChange

# Sent after the change counters moved (after the writer's commit); no arguments.
impact_change_recorded = Signal()


class _PendingRecompute:
    """The one on-commit callback a transaction registers, however many changes it makes."""

    def __init__(self, change: _Change) -> None:
        self.change = change

    def add(self, change: _Change) -> None:
        self.change = self.change.merged(change)

    def __call__(self) -> None:
        _record(self.change)


class _Change:
    """What one or more changes touched. `None` for a set: not known (everything)."""

    def __init__(
        self,
        *,
        structure: bool,
        nodes: set[int] | None,
        edges_of: set[int] | None,
        requirements_of: set[int] | None,
    ) -> None:
        self.structure = structure
        self.nodes = nodes
        # Meaningful when `structure`: the shape change touched only these nodes' edges and
        # these objectives' requirements (both None: it did not say).
        self.edges_of = edges_of
        self.requirements_of = requirements_of

    @property
    def shape_scoped(self) -> bool:
        return self.edges_of is not None and self.requirements_of is not None

    def merged(self, other: _Change) -> _Change:
        def union(a: set[int] | None, b: set[int] | None) -> set[int] | None:
            return None if a is None or b is None else a | b

        if not self.structure:
            edges_of, requirements_of = other.edges_of, other.requirements_of
        elif not other.structure:
            edges_of, requirements_of = self.edges_of, self.requirements_of
        elif self.shape_scoped and other.shape_scoped:
            edges_of = union(self.edges_of, other.edges_of)
            requirements_of = union(self.requirements_of, other.requirements_of)
        else:
            edges_of = requirements_of = None
        return _Change(
            structure=self.structure or other.structure,
            nodes=union(self.nodes, other.nodes),
            edges_of=edges_of,
            requirements_of=requirements_of,
        )


def impact_changed(
    *,
    structure: bool = False,
    nodes: Iterable[int] | None = None,
    edges_of: Iterable[int] | None = None,
    requirements_of: Iterable[int] | None = None,
    reason: str = "",
) -> None:
    """Note that states may have changed; a recompute follows the commit.

    `structure=True` when nodes, edges or requirements changed (not just states).
    `nodes`: the ids of the nodes whose intrinsic state may have moved (a ticket linked to
    them changed, their override was set), when the caller knows; the incremental
    recompute then re-reads just those. Without it every node is re-read.
    `edges_of` (node ids) and `requirements_of` (objective ids): a shape change that
    touched only these nodes' dependencies and these objectives' requirements; the
    incremental recompute reads just those again and rewires its cached graph. Either one
    implies `structure`; a shape change without them rebuilds the whole graph.
    The counters move only after the caller's transaction commits, so the caller
    never holds the ImpactState row lock while it writes nodes (the recompute
    takes them in the other order). A transaction that changes a thousand things
    still queues one recompute.
    """
    scoped = edges_of is not None or requirements_of is not None
    if nodes is None and scoped:
        nodes = ()  # rewiring moves no node's own state
    change = _Change(
        structure=structure or scoped,
        nodes=None if nodes is None else set(nodes),
        edges_of=set(edges_of or ()) if scoped else None,
        requirements_of=set(requirements_of or ()) if scoped else None,
    )
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _record(change)
        return
    pending = getattr(connection, "_cataligent_pending_recompute", None)
    if pending is not None and any(func is pending for _, func, _ in connection.run_on_commit):
        pending.add(change)
        return
    pending = _PendingRecompute(change)
    connection._cataligent_pending_recompute = pending
    transaction.on_commit(pending)


def _record(change: _Change) -> None:
    """Move the counters and note the nodes, in one transaction: a recompute that sees the
    new `requested` sees the nodes that came with it."""
    if (
        change.nodes
        and not change.structure
        and connection.vendor == "postgresql"
        and _note_nodes(change.nodes)
    ):
        impact_change_recorded.send(sender=ImpactState)
        return
    updates: dict[str, Any] = {"requested": F("requested") + 1}
    if change.structure:
        updates["structure"] = F("structure") + 1
        if not change.shape_scoped:
            # Both read the old row: `reshaped` becomes the new `structure`.
            updates["reshaped"] = F("structure") + 1
    if change.nodes is None:
        # Both read the old row: `unscoped` becomes the new `requested`.
        updates["unscoped"] = F("requested") + 1
    with transaction.atomic():
        if not ImpactState.objects.filter(pk=1).update(**updates):
            ImpactState.objects.get_or_create(pk=1)
            ImpactState.objects.filter(pk=1).update(**updates)
        notes = _notes(change)
        if notes:
            requested = ImpactState.objects.values_list("requested", flat=True).get(pk=1)
            for note in notes:
                note.requested = requested
            for model in (IntrinsicChange, ShapeChange):
                mine = [note for note in notes if isinstance(note, model)]
                model.objects.bulk_create(mine, batch_size=5000)  # type: ignore[attr-defined]
    impact_change_recorded.send(sender=ImpactState)


def _notes(change: _Change) -> list[IntrinsicChange | ShapeChange]:
    notes: list[IntrinsicChange | ShapeChange] = []
    notes.extend(IntrinsicChange(node_id=pk, requested=0) for pk in change.nodes or ())
    if change.shape_scoped:
        notes.extend(ShapeChange(node_id=pk, requested=0) for pk in change.edges_of or ())
        notes.extend(
            ShapeChange(objective_id=pk, requested=0) for pk in change.requirements_of or ()
        )
    return notes


def _note_nodes(nodes: set[int]) -> bool:
    """Move `requested` and note the nodes in one statement (a ticket change's usual case:
    one round trip where the transaction below takes five). False if the ImpactState row
    is missing (a flushed test database): then nothing was changed."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH moved AS (
                UPDATE {quote(ImpactState._meta.db_table)} SET requested = requested + 1
                 WHERE id = 1 RETURNING requested
            )
            INSERT INTO {quote(IntrinsicChange._meta.db_table)} (node_id, requested)
            SELECT node, moved.requested FROM moved, unnest(%s::bigint[]) AS node
            """,
            [sorted(nodes)],
        )
        return cursor.rowcount > 0
