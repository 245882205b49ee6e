"""The reads green-red and outcomes share, each a fixed number of queries (no per-row reads).

`ReportData` holds the items (capabilities and objectives), their owning teams, the items
above every node (`reach`, kept while the graph's structure holds), and the state history
from the window's start of what was blocked. The tickets are read per report, aggregated as
far as each definition allows (`reports.ticket_reads`). The definitions are in the report
modules; this is I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cataligent.models import Team
from dependencies.choices import NodeKind
from dependencies.map.drawing import result_cache
from dependencies.models import Node, StateTransition
from integrations.models import ACTIVE_CATEGORIES, StatusCategory, Ticket
from objectives.models import Objective
from reports import history, loaders
from reports.reach import Item, ItemReach, item_reach
from reports.window import Window

RESOLVED_CATEGORIES = (StatusCategory.RESOLVED, StatusCategory.CLOSED)

Transition = tuple[dt.datetime, str, str]


@dataclass
class ItemRow:
    """A capability (or any node) or an objective, as the reports name it."""

    kind: str  # "node" | "objective"
    id: int
    ref: str  # slug or key
    name: str
    team_id: int | None
    state: str
    value_at_stake: Decimal = Decimal(0)  # per week


@dataclass
class ReportData:
    """What green-red and outcomes both read: the items, teams and the items above every node.
    The tickets are read by each report as it needs them (`reports.ticket_reads`)."""

    window: Window
    now: dt.datetime
    items: dict[Item, ItemRow]
    teams: dict[int, Team]
    reach: ItemReach
    history: dict[Item, list[Transition]] = field(default_factory=dict)

    def blocked_intervals(self, item: Item, state: str) -> list[history.Interval]:
        """When `item` was blocked from the window's start until now."""
        return history.blocked_intervals(
            self.history.get(item, []), self.window.start, self.now, current_state=state
        )

    def blocked_hours_in_window(self, item: Item, state: str) -> float:
        clipped = [
            (max(a, self.window.start), min(b, self.window.end))
            for a, b in self.blocked_intervals(item, state)
        ]
        return history.hours((a, b) for a, b in clipped if b > a)

    def group_teams(self) -> dict[str, set[int]]:
        """Assignment-group name (case-folded) -> ids of the teams it belongs to."""
        groups: dict[str, set[int]] = defaultdict(set)
        for team in self.teams.values():
            for name in team.assignment_groups or ():
                if isinstance(name, str) and name.strip():
                    groups[name.strip().casefold()].add(team.pk)
        return groups


def tickets_in(window: Window) -> Any:
    """Tickets alive during the window: opened before it ends, and resolved (or still active,
    or last touched) no earlier than its start."""
    opened = Coalesce("opened_at", "first_seen_at")
    return Ticket.objects.alias(opened=opened).filter(
        Q(opened__lt=window.end)
        & (
            Q(resolved_at__gte=window.start)
            | Q(resolved_at__isnull=True, status_category__in=ACTIVE_CATEGORIES)
            | Q(resolved_at__isnull=True, updated_at__gte=window.start)
        )
    )


def load(window: Window, *, now: dt.datetime | None = None, history: bool = True) -> ReportData:
    """The items, teams and reach; with `history`, the state history from the window's start
    of the items that were blocked in it (`blocked_history_since`)."""
    now = max(now or timezone.now(), window.end)
    teams = {t.pk: t for t in Team.objects.only("id", "slug", "name", "assignment_groups")}
    capabilities = [
        ItemRow("node", pk, slug, name, team_id, state)
        for pk, slug, name, team_id, state in Node.objects.filter(
            kind=NodeKind.CAPABILITY
        ).values_list("id", "slug", "name", "team_id", "state")
    ]
    objectives = [
        ItemRow("objective", pk, key, title, team_id, state, value)
        for pk, key, title, team_id, state, value in Objective.objects.values_list(
            "id", "key", "title", "team_id", "state", "value_at_stake"
        )
    ]
    reach = _item_reach(
        capability_ids=[c.id for c in capabilities], objective_ids=[o.id for o in objectives]
    )
    items: dict[Item, ItemRow] = {("node", c.id): c for c in capabilities}
    items.update({("objective", o.id): o for o in objectives})
    for capability in capabilities:
        capability.value_at_stake = node_value_at_stake(reach, items, capability.id)
    return ReportData(
        window=window,
        now=now,
        items=items,
        teams=teams,
        reach=reach,
        history=blocked_history_since(window.start) if history else {},
    )


def _item_reach(*, capability_ids: list[int], objective_ids: list[int]) -> ItemReach:
    """The items above every node, kept while the graph's structure holds: reading 250,000
    edges and walking them is most of a report's cost, and the structure changes far less
    often than tickets and states do. The key follows the impact structure counter (every
    change of a node, edge, requirement or objective bumps it) and the newest edge,
    requirement, node and objective, not the recompute: a ticket that moves a state does
    not change what lies above what."""
    # The items are part of it: they are read anyway, and the bits are theirs, in this order.
    items = (tuple(capability_ids), tuple(objective_ids))
    structure = loaders.structure_key()
    key = ("report-reach", *structure, items)
    return result_cache.get_or_make(
        key,
        lambda: item_reach(
            loaders.support_graph(structure),
            capability_ids=capability_ids,
            objective_ids=objective_ids,
        ),
    )


def node_value_at_stake(reach: ItemReach, items: dict[Item, ItemRow], node: int) -> Decimal:
    """A node's value at stake per week: that of the objectives that need it, directly or
    through the nodes above it, each once (the map's bottleneck ranking sums the same)."""
    total = Decimal(0)
    for item in reach.items_of(reach.above.get(node, 0)):
        if item[0] == "objective":
            total += items[item].value_at_stake
    return total


def blocked_history_since(start: dt.datetime) -> dict[Item, list[Transition]]:
    """The transitions from `start` on, oldest first, of the items blocked at some time since
    then: those with a move into or out of `blocked` since `start`, and those blocked now
    (one query). For any other item `history.blocked_intervals` gives nothing either way (no
    move since `start` touched `blocked`, and it is not blocked now), so leaving its
    transitions out changes no result and spares reading most of the history."""
    moved = StateTransition.objects.filter(at__gte=start).filter(
        Q(from_state=history.BLOCKED) | Q(to_state=history.BLOCKED)
    )
    blocked = (
        Q(node_id__in=moved.filter(node__isnull=False).values("node_id"))
        | Q(objective_id__in=moved.filter(objective__isnull=False).values("objective_id"))
        | Q(node__state=history.BLOCKED)
        | Q(objective__state=history.BLOCKED)
    )
    found: dict[Item, list[Transition]] = defaultdict(list)
    rows = (
        StateTransition.objects.filter(blocked, at__gte=start)
        .order_by("at", "id")
        .values_list("node_id", "objective_id", "at", "from_state", "to_state")
    )
    for node_id, objective_id, at, from_state, to_state in rows:
        item: Item = ("node", node_id) if node_id is not None else ("objective", objective_id)
        found[item].append((at, from_state, to_state))
    return found
