"""The recompute trigger: "something the impact depends on changed" (DESIGN §4).

Every writer calls `impact_changed()`: the graph's services, objectives' services, the sync and
the webhooks, the admin. It sits low in the house so that all of them may import it; it only
records the change and, once the transaction commits, sends `impact_change_recorded`. The
recompute room (`dependencies.recompute.tasks`) listens and queues the recompute, so nothing
below it has to import the recompute to ask for one.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.dispatch import Signal

from dependencies.models import ImpactState

# Sent after the change counters moved (after the writer's commit); no arguments.
impact_change_recorded = Signal()


class _PendingRecompute:
    """The one on-commit callback a transaction registers, however many changes it makes."""

    def __init__(self, structure: bool) -> None:
        self.structure = structure

    def __call__(self) -> None:
        _record(self.structure)


def impact_changed(*, structure: bool = False, reason: str = "") -> None:
    """Note that states may have changed; a recompute follows the commit.

    `structure=True` when nodes, edges or requirements changed (not just states).
    The counters move only after the caller's transaction commits, so the caller
    never holds the ImpactState row lock while it writes nodes (the recompute
    takes them in the other order). A transaction that changes a thousand things
    still queues one recompute.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _record(structure)
        return
    pending = getattr(connection, "_cataligent_pending_recompute", None)
    if pending is not None and any(func is pending for _, func, _ in connection.run_on_commit):
        pending.structure = pending.structure or structure
        return
    pending = _PendingRecompute(structure)
    connection._cataligent_pending_recompute = pending
    transaction.on_commit(pending)


def _record(structure: bool) -> None:
    updates: dict[str, Any] = {"requested": F("requested") + 1}
    if structure:
        updates["structure"] = F("structure") + 1
    if not ImpactState.objects.filter(pk=1).update(**updates):
        ImpactState.objects.get_or_create(pk=1)
        ImpactState.objects.filter(pk=1).update(**updates)
    impact_change_recorded.send(sender=ImpactState)
