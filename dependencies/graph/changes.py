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

from dependencies.models import ImpactState, IntrinsicChange

# Sent after the change counters moved (after the writer's commit); no arguments.
impact_change_recorded = Signal()


class _PendingRecompute:
    """The one on-commit callback a transaction registers, however many changes it makes."""

    def __init__(self, structure: bool, nodes: set[int] | None) -> None:
        self.structure = structure
        self.nodes = nodes  # None: which nodes is not known

    def add(self, structure: bool, nodes: set[int] | None) -> None:
        self.structure = self.structure or structure
        if self.nodes is not None and nodes is not None:
            self.nodes |= nodes
        else:
            self.nodes = None

    def __call__(self) -> None:
        _record(self.structure, self.nodes)


def impact_changed(
    *, structure: bool = False, nodes: Iterable[int] | None = None, reason: str = ""
) -> None:
    """Note that states may have changed; a recompute follows the commit.

    `structure=True` when nodes, edges or requirements changed (not just states).
    `nodes`: the ids of the nodes whose intrinsic state may have moved (a ticket linked to
    them changed, their override was set), when the caller knows; the incremental
    recompute then re-reads just those. Without it every node is re-read.
    The counters move only after the caller's transaction commits, so the caller
    never holds the ImpactState row lock while it writes nodes (the recompute
    takes them in the other order). A transaction that changes a thousand things
    still queues one recompute.
    """
    touched = None if nodes is None else set(nodes)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _record(structure, touched)
        return
    pending = getattr(connection, "_cataligent_pending_recompute", None)
    if pending is not None and any(func is pending for _, func, _ in connection.run_on_commit):
        pending.add(structure, touched)
        return
    pending = _PendingRecompute(structure, touched)
    connection._cataligent_pending_recompute = pending
    transaction.on_commit(pending)


def _record(structure: bool, nodes: set[int] | None) -> None:
    """Move the counters and note the nodes, in one transaction: a recompute that sees the
    new `requested` sees the nodes that came with it."""
    if nodes and not structure and connection.vendor == "postgresql" and _note_nodes(nodes):
        impact_change_recorded.send(sender=ImpactState)
        return
    updates: dict[str, Any] = {"requested": F("requested") + 1}
    if structure:
        updates["structure"] = F("structure") + 1
    elif nodes is None:
        # Both read the old row: `unscoped` becomes the new `requested`.
        updates["unscoped"] = F("requested") + 1
    with transaction.atomic():
        if not ImpactState.objects.filter(pk=1).update(**updates):
            ImpactState.objects.get_or_create(pk=1)
            ImpactState.objects.filter(pk=1).update(**updates)
        if nodes and not structure:
            requested = ImpactState.objects.values_list("requested", flat=True).get(pk=1)
            IntrinsicChange.objects.bulk_create(
                [IntrinsicChange(node_id=pk, requested=requested) for pk in nodes],
                batch_size=5000,
            )
    impact_change_recorded.send(sender=ImpactState)


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
