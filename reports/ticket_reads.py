"""The ticket reads of green-red and outcomes: one query each, whatever the size, and only the
columns each definition needs.

A ticket is *alive* in a window when it was opened before its end and resolved (or is still
active, or was last touched) no earlier than its start (`reads.tickets_in`); it is *resolved in*
the window when its category is resolved or closed and its resolution time (the last update,
when the source gave none) falls inside. Both conditions are written here once, for queries
from the ticket and from its links.

On the 50,000-node benchmark the window holds 54,000 tickets: reading each as a Python
object with its timestamps cost more than the report. So green-red's counts read one small
integer class per link (`support_classes`), and only the resolved tickets with a linked node
are read in full, for the drill-downs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from integrations.models import ACTIVE_CATEGORIES, TicketLink
from reports import loaders
from reports.reads import RESOLVED_CATEGORIES, tickets_in
from reports.window import Window

# A ticket's class in green-red's counts: each ticket is in exactly one.
OPEN = 0  # alive, not resolved in the window
RESOLVED_NO_SLA = 1  # resolved in the window, no SLA result
RESOLVED_BREACHED = 2
RESOLVED_MET = 3


def _alive(window: Window, prefix: str) -> Q:
    """`reads.tickets_in` from a query whose tickets are at `prefix` (needs the `opened`
    alias)."""
    return Q(opened__lt=window.end) & (
        Q(**{f"{prefix}resolved_at__gte": window.start})
        | Q(
            **{
                f"{prefix}resolved_at__isnull": True,
                f"{prefix}status_category__in": ACTIVE_CATEGORIES,
            }
        )
        | Q(**{f"{prefix}resolved_at__isnull": True, f"{prefix}updated_at__gte": window.start})
    )


def _resolved_in(window: Window, prefix: str) -> Q:
    """Resolved inside the window (needs the `done` alias: the resolution time, or the last
    update when the source gave none)."""
    return Q(
        **{f"{prefix}status_category__in": RESOLVED_CATEGORIES},
        done__gte=window.start,
        done__lt=window.end,
    )


def _links(window: Window) -> Any:
    """The links of the tickets alive in the window, with the aliases above."""
    return TicketLink.objects.alias(
        opened=Coalesce("ticket__opened_at", "ticket__first_seen_at"),
        done=Coalesce("ticket__resolved_at", "ticket__updated_at"),
    ).filter(_alive(window, "ticket__"))


def support_classes(window: Window) -> list[tuple[int, int | None, int | None, int]]:
    """`(ticket id, node id, objective id, class)` per link of a ticket alive in the window
    (one query of integers). The class (`OPEN`, `RESOLVED_...`) is the same on every link of a
    ticket."""
    resolved = _resolved_in(window, "ticket__")
    klass = Case(
        When(resolved & Q(ticket__sla_breached__isnull=True), then=Value(RESOLVED_NO_SLA)),
        When(resolved & Q(ticket__sla_breached=True), then=Value(RESOLVED_BREACHED)),
        When(resolved, then=Value(RESOLVED_MET)),
        default=Value(OPEN),
        output_field=IntegerField(),
    )
    rows = _links(window).order_by().values_list("ticket_id", "node_id", "objective_id", klass)
    return loaders.fetch(rows)  # type: ignore[return-value]


def resolved_with_nodes(window: Window) -> list[tuple[Any, ...]]:
    """Per link from a ticket resolved in the window to a node: `(ticket id, key, url,
    resolved at, assignment group, reassignments, node id, slug, name, owning team id,
    state)`, the most recently updated tickets first, a ticket's links together (one query)."""
    rows = (
        _links(window)
        .filter(_resolved_in(window, "ticket__"), node__isnull=False)
        .order_by("-ticket__updated_at", "ticket_id")
        .values_list(
            "ticket_id",
            "ticket__key",
            "ticket__url",
            Coalesce("ticket__resolved_at", "ticket__updated_at"),
            "ticket__assignment_group",
            "ticket__reassignment_count",
            "node_id",
            "node__slug",
            "node__name",
            "node__team_id",
            "node__state",
        )
    )
    return [(*row[:3], loaders.moment(row[3]), *row[4:]) for row in loaders.fetch(rows)]


def resolved_for_teams(window: Window) -> list[tuple[int, str, bool | None, dt.timedelta | None]]:
    """Per ticket resolved in the window: `(id, assignment group, sla_breached, resolved at
    minus opened at)` (one query; the duration is null when the source gave no opening)."""
    took = ExpressionWrapper(F("done") - F("opened_at"), output_field=DurationField())
    rows = (
        tickets_in(window)
        .alias(done=Coalesce("resolved_at", "updated_at"))
        .filter(_resolved_in(window, ""))
        .order_by()
        .values_list("id", "assignment_group", "sla_breached", took)
    )
    return list(rows)


def links_of_resolved(window: Window) -> list[tuple[int, int | None, int | None, int | None]]:
    """`(ticket id, node id, objective id, the node's team id)` per link of a ticket resolved
    in the window."""
    rows = (
        _links(window)
        .filter(_resolved_in(window, "ticket__"))
        .order_by()
        .values_list("ticket_id", "node_id", "objective_id", "node__team_id")
    )
    return loaders.fetch(rows)  # type: ignore[return-value]
