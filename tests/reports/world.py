"""Small hand-built organisations for the report tests: the window is November 2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dependencies.models import Edge, Node, StateTransition
from integrations.models import TicketLink
from objectives.models import Requirement
from reports.window import Window, parse_window
from tests.factories import ConnectorFactory, NodeFactory, ObjectiveFactory, TicketFactory

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def november(**extra: str) -> Window:
    return parse_window({**NOVEMBER, **extra})


def at(day: int, hour: int = 0) -> dt.datetime:
    """A moment of November 2026 (UTC, the tests' TIME_ZONE)."""
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def node(slug: str, *, kind: str = "service", team: Any = None, state: str = "operational") -> Node:
    return NodeFactory(slug=slug, kind=kind, team=team, state=state)


def depends(source: Node, target: Node) -> None:
    Edge.objects.create(source=source, target=target)


def objective(
    *, team: Any, needs: list[Node], value: int = 16800, state: str = "operational"
) -> Any:
    """16,800 a week is 100 an hour: value lost reads as 100 x blocked hours."""
    o = ObjectiveFactory(team=team, value_at_stake=Decimal(value), state=state)
    for n in needs:
        Requirement.objects.create(objective=o, node=n)
    return o


def blocked(item: Any, start: dt.datetime, end: dt.datetime | None = None) -> None:
    """The item's state history: blocked from `start` (until `end`, or still)."""
    field = "node" if isinstance(item, Node) else "objective"
    StateTransition.objects.create(
        **{field: item}, from_state="operational", to_state="blocked", at=start, version=1
    )
    if end is not None:
        StateTransition.objects.create(
            **{field: item}, from_state="blocked", to_state="operational", at=end, version=2
        )


def ticket(
    *links: Any,
    resolved: dt.datetime | None = None,
    sla_breached: bool | None = None,
    group: str = "",
    reassignments: int | None = None,
    opened: dt.datetime | None = None,
    key: str | None = None,
) -> Any:
    extra = {"key": key} if key else {}
    t = TicketFactory(
        connector=ConnectorFactory(slug="snow"),
        status_category="resolved" if resolved else "open",
        resolved_at=resolved,
        opened_at=opened or at(1),
        sla_breached=sla_breached,
        assignment_group=group,
        reassignment_count=reassignments,
        updated_at=resolved or at(2),
        is_blocking=False,
        priority=3,
        **extra,
    )
    for target in links:
        field = "node" if isinstance(target, Node) else "objective"
        TicketLink.objects.create(ticket=t, via="manual", **{field: target})
    return t
