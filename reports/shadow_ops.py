"""Report `shadow-ops`: signs of work done outside the formal process (DESIGN §2).

Each signal is a count and a list of readable items, per team (reports.teams: a ticket
counts for the team of its assignment group, a node or objective for its owning team):

- `blocked-without-ticket`: a node blocked now in its own right (its intrinsic state: an
  override by hand, since a blocking ticket is always active) that no active ticket supports
  (none is linked to it nor to anything it depends on): someone knows it is blocked, no
  ticket says so. The nodes blocked only through it are not listed again: it is their root
  cause, counted once.
- `unknown-ci`: a ticket of the window naming a configuration item or component that is no
  node's slug, name or external reference (compared as words, reports.suggestions) and no
  CI or component link rule's pattern.
- `orphan-tickets`: a ticket of the window linked to nothing.
- `stale`: a node or objective blocked or degraded now whose last sign of life (a supporting
  ticket updated, a status update, a manual state set, a state change, its creation) is
  older than REPORT_STALE_DAYS at the window's end (or now).
- `ping-pong`: a ticket of the window reassigned at least REPORT_PING_PONG_REASSIGNMENTS
  times, or reopened.
- `retro-logged`: a P1/P2 ticket resolved in the window within REPORT_RETRO_LOGGED_MINUTES
  of being opened: logged after the fact.
- `green-over-blocked`: an objective whose latest status update in the window is green
  while the graph had it blocked at that moment (its state history).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from dependencies.choices import State
from dependencies.models import Node, StateTransition
from integrations.models import ACTIVE_CATEGORIES, LinkRule, Ticket, TicketLink
from objectives.models import Objective, Rag, StatusUpdate
from reports import loaders
from reports.activity import tickets_active_in
from reports.history import blocked_at, blocked_intervals
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.suggestions import words
from reports.support import supported_by_ticket, tickets_by_item
from reports.teams import TeamDirectory, TeamRef, sort_key
from reports.window import Window

SIGNALS: dict[str, str] = {
    "blocked-without-ticket": "Blocked, and no active ticket says so",
    "unknown-ci": "Tickets naming a CI or component that is not in the graph",
    "orphan-tickets": "Tickets linked to nothing",
    "stale": "Blocked or degraded with no sign of life",
    "ping-pong": "Ping-pong tickets: bounced between groups or reopened",
    "retro-logged": "Retro-logged P1/P2 tickets: opened and resolved within minutes",
    "green-over-blocked": "Green status updates over a blocked graph",
}

_TICKET_FIELDS = (
    "id",
    "key",
    "url",
    "title",
    "assignment_group",
    "ci",
    "components",
    "labels",
    "priority",
    "opened_at",
    "resolved_at",
    "reassignment_count",
    "reopen_count",
)

Item = dict[str, Any]


def _ticket_item(row: dict[str, Any], team: TeamRef, detail: str) -> Item:
    return {
        "kind": "ticket",
        "ticket": row["key"],
        "ref": row["key"],
        "name": row["title"],
        "url": row["url"],
        "team": team.slug,
        "team_name": team.name,
        "detail": detail,
    }


def _node_item(node: dict[str, Any], team: TeamRef, detail: str) -> Item:
    return {
        "kind": "node",
        "node": node["slug"],
        "ref": node["slug"],
        "name": node["name"],
        "url": reverse("node-detail", args=[node["slug"]]),
        "team": team.slug,
        "team_name": team.name,
        "detail": detail,
    }


def _objective_item(objective: dict[str, Any], team: TeamRef, detail: str) -> Item:
    return {
        "kind": "objective",
        "objective": objective["key"],
        "ref": objective["key"],
        "name": objective["title"],
        "url": reverse("objective-detail", args=[objective["key"]]),
        "team": team.slug,
        "team_name": team.name,
        "detail": detail,
    }


def _day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


# --- The signals over the window's tickets ---------------------------------------------------


def _ticket_signals(
    rows: list[dict[str, Any]],
    directory: TeamDirectory,
    linked: set[int],
    known_names: set[tuple[str, ...]],
) -> dict[str, list[Item]]:
    ping_pong_at = settings.REPORT_PING_PONG_REASSIGNMENTS
    retro = dt.timedelta(minutes=settings.REPORT_RETRO_LOGGED_MINUTES)
    found: dict[str, list[Item]] = defaultdict(list)
    for row in rows:
        team = directory.of_group(row["assignment_group"])
        if row["id"] not in linked:
            found["orphan-tickets"].append(
                _ticket_item(row, team, "linked to no node or objective")
            )
        named = (
            [row["ci"], *_strings(row["components"])] if row["ci"] else _strings(row["components"])
        )
        unknown = [name for name in named if name.strip() and words(name) not in known_names]
        if unknown:
            found["unknown-ci"].append(
                _ticket_item(row, team, "not in the graph: " + ", ".join(unknown))
            )
        reassigned, reopened = row["reassignment_count"] or 0, row["reopen_count"] or 0
        if reassigned >= ping_pong_at or reopened:
            found["ping-pong"].append(
                _ticket_item(row, team, f"reassigned {reassigned} times, reopened {reopened} times")
            )
        opened, resolved = row["opened_at"], row["resolved_at"]
        if (
            row["priority"] <= 2
            and opened is not None
            and resolved is not None
            and row["in_window_resolved"]
            and dt.timedelta(0) <= resolved - opened <= retro
        ):
            minutes = (resolved - opened).total_seconds() / 60
            found["retro-logged"].append(
                _ticket_item(
                    row, team, f"P{row['priority']} opened and resolved {minutes:.0f} min apart"
                )
            )
    return found


def _known_names() -> set[tuple[str, ...]]:
    """Every node's slug, name and external reference, and every CI and component link rule's
    pattern, as words (two queries)."""
    known: set[tuple[str, ...]] = set()
    for slug, name, external_ref in Node.objects.values_list(
        "slug", "name", "external_ref"
    ).iterator(chunk_size=10_000):
        known.update({words(slug), words(name), words(external_ref)})
    known.update(
        words(pattern)
        for pattern in LinkRule.objects.filter(
            enabled=True, field__in=[LinkRule.Field.CI, LinkRule.Field.COMPONENT]
        ).values_list("pattern", flat=True)
    )
    known.discard(())
    return known


# --- The signals over the graph --------------------------------------------------------------


def _item_signals(window: Window, directory: TeamDirectory) -> dict[str, list[Item]]:
    now = timezone.now()
    as_of = min(window.end, now)
    stale_before = as_of - dt.timedelta(days=settings.REPORT_STALE_DAYS)
    found: dict[str, list[Item]] = defaultdict(list)

    node_links, objective_links = loaders.ticket_links()
    supported = supported_by_ticket(loaders.support_graph(), node_links, objective_links)
    by_node, by_objective = tickets_by_item(supported)
    tickets = {
        pk: (category in ACTIVE_CATEGORIES, updated_at)
        for pk, category, updated_at in Ticket.objects.filter(
            pk__in=TicketLink.objects.values("ticket_id")
        ).values_list("pk", "status_category", "updated_at")
    }
    last_change: dict[tuple[str, int], dt.datetime] = {}
    for node_id, objective_id, at in (
        StateTransition.objects.values("node_id", "objective_id")
        .annotate(last=Max("at"))
        .values_list("node_id", "objective_id", "last")
    ):
        last_change["node" if node_id else "objective", node_id or objective_id] = at
    last_update = dict(
        StatusUpdate.objects.values("objective_id")
        .annotate(last=Max("created_at"))
        .values_list("objective_id", "last")
    )

    def last_ticket_activity(ticket_ids: set[int]) -> dt.datetime | None:
        return max((tickets[t][1] for t in ticket_ids if t in tickets), default=None)

    def stale(
        kind: str, pk: int, ticket_ids: set[int], *signs: dt.datetime | None
    ) -> dt.datetime | None:
        """The last sign of life when it is older than the threshold, else None."""
        last = max(
            (
                s
                for s in (last_ticket_activity(ticket_ids), last_change.get((kind, pk)), *signs)
                if s
            ),
            default=None,
        )
        return last if last is not None and last < stale_before else None

    bad = [State.BLOCKED, State.DEGRADED]
    for node in (
        Node.objects.filter(state__in=bad)
        .order_by("name", "id")
        .values(
            "id",
            "slug",
            "name",
            "team_id",
            "state",
            "intrinsic_state",
            "blocked_since",
            "manual_set_at",
            "created_at",
        )
    ):
        team = directory.of_id(node["team_id"])
        supporting = by_node.get(node["id"], set())
        if node["intrinsic_state"] == State.BLOCKED and not any(
            tickets[t][0] for t in supporting if t in tickets
        ):
            found["blocked-without-ticket"].append(
                _node_item(node, team, f"blocked since {_day(node['blocked_since'])}")
            )
        last = stale("node", node["id"], supporting, node["manual_set_at"], node["created_at"])
        if last is not None:
            found["stale"].append(
                _node_item(node, team, f"{node['state']}; last sign of life {_day(last)}")
            )
    for objective in (
        Objective.objects.filter(state__in=bad)
        .order_by("key")
        .values("id", "key", "title", "team_id", "state", "created_at")
    ):
        team = directory.of_id(objective["team_id"])
        supporting = by_objective.get(objective["id"], set())
        last = stale(
            "objective",
            objective["id"],
            supporting,
            last_update.get(objective["id"]),
            objective["created_at"],
        )
        if last is not None:
            found["stale"].append(
                _objective_item(
                    objective, team, f"{objective['state']}; last sign of life {_day(last)}"
                )
            )
    found["green-over-blocked"] = _green_over_blocked(window, directory)
    return found


def _green_over_blocked(window: Window, directory: TeamDirectory) -> list[Item]:
    """Three queries: the window's updates, the objectives they are about, their history."""
    latest: dict[int, tuple[dt.datetime, str]] = {}
    updates = StatusUpdate.objects.filter(created_at__gte=window.start, created_at__lt=window.end)
    for objective_id, created_at, rag in updates.order_by("created_at", "id").values_list(
        "objective_id", "created_at", "rag"
    ):
        latest[objective_id] = (created_at, rag)
    green = {pk: at for pk, (at, rag) in latest.items() if rag == Rag.GREEN}
    if not green:
        return []
    history: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for objective_id, at, from_state, to_state in (
        StateTransition.objects.filter(
            objective_id__in=updates.filter(rag=Rag.GREEN).values("objective_id")
        )
        .order_by("at", "id")
        .values_list("objective_id", "at", "from_state", "to_state")
    ):
        history[objective_id].append((at, from_state, to_state))
    items = []
    for objective in (
        Objective.objects.filter(pk__in=list(green))
        .order_by("key")
        .values("id", "key", "title", "team_id", "state")
    ):
        said_at = green[objective["id"]]
        intervals = blocked_intervals(
            history[objective["id"]], window.start, window.end, current_state=objective["state"]
        )
        if blocked_at(intervals, said_at):
            items.append(
                _objective_item(
                    objective,
                    directory.of_id(objective["team_id"]),
                    f"green on {_day(said_at)} while blocked",
                )
            )
    return items


# --- The report ------------------------------------------------------------------------------


def build(window: Window) -> Result:
    directory = TeamDirectory.load()
    tickets = tickets_active_in(window)
    rows = list(tickets.order_by("-updated_at", "id").values(*_TICKET_FIELDS))
    for row in rows:
        resolved = row["resolved_at"]
        row["in_window_resolved"] = resolved is not None and window.start <= resolved < window.end
    linked = set(
        TicketLink.objects.filter(ticket__in=tickets.values("pk")).values_list(
            "ticket_id", flat=True
        )
    )
    found = _ticket_signals(rows, directory, linked, _known_names())
    found.update(_item_signals(window, directory))

    keep: Callable[[Item], bool] = (
        (lambda item: item["team"] == window.team.slug)
        if window.team is not None
        else (lambda item: True)
    )
    signals = []
    for name, title in SIGNALS.items():
        items = [item for item in found.get(name, []) if keep(item)]
        per_team = Counter(TeamRef(item["team_name"], item["team"]) for item in items)
        signals.append(
            {
                "name": name,
                "title": title,
                "count": len(items),
                "by_team": [
                    {"team": team.slug, "name": team.name, "count": n}
                    for team, n in sorted(per_team.items(), key=lambda kv: sort_key(kv[0]))
                ],
                "items": items,
            }
        )
    return {"window": window.as_filters(), "signals": signals}


def tables(result: Result) -> list[Table]:
    summary = Table(
        "signals",
        "Signals of work outside the process",
        [
            Column("title", "Signal"),
            Column("name", "Name"),
            Column("count", "Count", "int"),
            Column("teams", "Per team"),
        ],
        [
            {
                **signal,
                "teams": ", ".join(f"{t['name']} {t['count']}" for t in signal["by_team"]) or "—",
            }
            for signal in result["signals"]
        ],
    )
    item_columns = [
        Column("ref", "Item"),
        Column("name", "Name or title"),
        Column("team_name", "Team"),
        Column("detail", "Why"),
        Column("url", "Open", "link"),
    ]
    return [summary] + [
        Table(
            signal["name"],
            signal["title"],
            item_columns,
            signal["items"],
            empty="None in this window.",
        )
        for signal in result["signals"]
    ]


def charts(result: Result) -> list[Chart]:
    return [
        Chart(
            "count_per_signal",
            "Signals of work outside the process",
            "bar",
            [signal["title"] for signal in result["signals"]],
            [{"label": "Count", "data": [signal["count"] for signal in result["signals"]]}],
            {"indexAxis": "y"},
        )
    ]


SHADOW_OPS = register(
    Report(
        name="shadow-ops",
        title="Shadow operations",
        question="Where is work happening outside the tickets, or being logged after the fact?",
        build=build,
        tables=tables,
        charts=charts,
    )
)
