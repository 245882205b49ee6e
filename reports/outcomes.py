"""Report `outcomes`: per team, output beside outcome (DESIGN §2).

Output, over tickets resolved in the window:
- `resolved`: the tickets the team resolved: resolved by one of its assignment groups (or,
  for a team with no assignment groups yet, linked to a node or objective it owns);
- `sla_met_pct`: of those with an SLA result, the share that met it (null with none);
- `median_hours_to_resolve`: from opened to resolved.
Outcome:
- `unblocked`: blocked -> not blocked transitions in the window of the items it owns (any
  node, or objective); `value_unblocked`: the value at stake per week of the items so
  unblocked, each once (a node's: that of the objectives that need it, as in green-red);
- `value_at_risk`: value at stake per week of the objectives blocked now because of root
  causes the team owns (the bottleneck ranking), each objective once;
- `blocked_others_hours`: hours of the window other capabilities and objectives were blocked
  with a root cause the team owns (the root causes recorded when the blockage began).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any

from dependencies.choices import State
from dependencies.models import Node, StateTransition
from dependencies.recompute.loader import stored_ranking
from objectives.models import Objective
from reports import history, loaders, ticket_reads
from reports.reach import Item
from reports.reads import ReportData, load, node_value_at_stake
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.state_reads import CAPABILITIES_AND_OBJECTIVES
from reports.window import Window


def build(window: Window) -> Result:
    data = load(window, history=False)
    return outcomes(data, root_cause_history(data), stored_ranking())


def resolved_tickets(data: ReportData) -> dict[int, list[tuple[Any, ...]]]:
    """Team id -> `(id, group, sla_breached, time to resolve)` of the tickets it resolved in
    the window (`ticket_reads.resolved_for_teams`; one query, two while a team has no
    assignment groups: the links that credit it)."""
    groups = data.group_teams()
    groupless = {pk for pk, team in data.teams.items() if not team.assignment_groups}
    owners_of: dict[int, set[int | None]] = defaultdict(set)
    if groupless:
        objective_team = {
            row.id: row.team_id for row in data.items.values() if row.kind == "objective"
        }
        for ticket, node, objective, node_owner in ticket_reads.links_of_resolved(data.window):
            if node is not None:
                owners_of[ticket].add(node_owner)
            if objective is not None:
                owners_of[ticket].add(objective_team.get(objective))
    resolved_by: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in ticket_reads.resolved_for_teams(data.window):
        teams = set(groups.get(row[1].strip().casefold(), ()))
        if groupless:
            teams |= owners_of.get(row[0], set()) & groupless
        for team_id in teams:
            resolved_by[team_id].append(row)
    return resolved_by


def root_cause_history(data: ReportData) -> dict[str, Any]:
    """The reads beyond `ReportData`: the unblocking moves in the window, the transitions of
    capabilities and objectives with their root causes, the owners of nodes, and the current
    root causes of the blocked items (five queries)."""
    in_window = StateTransition.objects.filter(at__gte=data.window.start, at__lt=data.window.end)
    unblocks: list[Item] = [
        ("node", node_id) if node_id is not None else ("objective", objective_id)
        for node_id, objective_id in loaders.fetch(
            in_window.filter(from_state=State.BLOCKED)
            .exclude(to_state=State.BLOCKED)
            .order_by()
            .values_list("node_id", "objective_id")
        )
    ]
    rows = (
        in_window.filter(CAPABILITIES_AND_OBJECTIVES)
        .order_by("at", "id")
        .values_list("node_id", "objective_id", "at", "from_state", "to_state", "root_causes")
    )
    transitions: dict[Item, list[tuple[Any, ...]]] = defaultdict(list)
    for node_id, objective_id, at, from_state, to_state, causes in rows:
        item: Item = ("node", node_id) if node_id is not None else ("objective", objective_id)
        transitions[item].append((at, from_state, to_state, causes or []))
    node_owner: dict[str, int | None] = {}
    node_team: dict[int, int | None] = {}
    for pk, slug, team_id in loaders.fetch(
        Node.objects.order_by().values_list("id", "slug", "team_id")
    ):
        node_owner[slug] = team_id
        node_team[pk] = team_id
    current = {
        ("node", pk): causes
        for pk, causes in Node.objects.filter(kind="capability", state=State.BLOCKED).values_list(
            "id", "root_causes"
        )
    } | {
        ("objective", pk): causes
        for pk, causes in Objective.objects.filter(state=State.BLOCKED).values_list(
            "id", "root_causes"
        )
    }
    return {
        "unblocks": unblocks,
        "transitions": transitions,
        "node_owner": node_owner,
        "current": current,
        "node_team": node_team,
    }


def outcomes(data: ReportData, extra: dict[str, Any], bottlenecks: list[dict[str, Any]]) -> Result:
    window = data.window
    item_owner = {ref: row.team_id for ref, row in data.items.items()}
    item_owner.update({("node", n): t for n, t in extra["node_team"].items()})

    # Output: what each team resolved.
    resolved_by = resolved_tickets(data)

    # Outcome: unblocked items and their value.
    unblocked: dict[int, int] = defaultdict(int)
    unblocked_items: dict[int, set[Item]] = defaultdict(set)
    for item in extra["unblocks"]:
        team_id = item_owner.get(item)
        if team_id is not None:
            unblocked[team_id] += 1
            unblocked_items[team_id].add(item)

    def value_of(item: Item) -> Decimal:
        if item in data.items and item[0] == "objective":
            return data.items[item].value_at_stake
        return node_value_at_stake(data.reach, data.items, item[1])

    # Value at risk now, each objective once per team.
    objective_value = {
        row.ref: row.value_at_stake for row in data.items.values() if row.kind == "objective"
    }
    at_risk: dict[int, set[str]] = defaultdict(set)
    for bottleneck in bottlenecks:
        team_id = extra["node_owner"].get(bottleneck.get("node"))
        if team_id is not None:
            at_risk[team_id].update(bottleneck.get("objectives") or ())

    blocked_others = _blocked_others_hours(data, extra)

    rows = []
    for team_id, team in sorted(data.teams.items(), key=lambda t: t[1].slug):
        if window.team is not None and team_id != window.team.pk:
            continue
        tickets = resolved_by.get(team_id, [])
        with_sla = [sla for _id, _group, sla, _took in tickets if sla is not None]
        durations = [took.total_seconds() / 3600 for *_, took in tickets if took is not None]
        rows.append(
            {
                "team": team.slug,
                "name": team.name,
                "resolved": len(tickets),
                "sla_met_pct": round(
                    100 * sum(not breached for breached in with_sla) / len(with_sla), 1
                )
                if with_sla
                else None,
                "median_hours_to_resolve": round(statistics.median(durations), 1)
                if durations
                else None,
                "unblocked": unblocked.get(team_id, 0),
                "value_unblocked": _cents(
                    sum((value_of(i) for i in unblocked_items.get(team_id, ())), Decimal(0))
                ),
                "value_at_risk": _cents(
                    sum(
                        (objective_value.get(k, Decimal(0)) for k in at_risk.get(team_id, ())),
                        Decimal(0),
                    )
                ),
                "blocked_others_hours": round(blocked_others.get(team_id, 0.0), 1),
            }
        )
    return {"teams": rows}


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def _blocked_others_hours(data: ReportData, extra: dict[str, Any]) -> dict[int, float]:
    """Per team: hours of the window capabilities and objectives were blocked with a root
    cause the team owns (not the item itself). A stretch's root causes are those recorded by
    the transition into it; a stretch with no transition in the window takes the item's
    root causes now if it is still blocked."""
    owner = extra["node_owner"]
    found: dict[int, float] = defaultdict(float)
    window = data.window
    for item, row in data.items.items():
        moves = extra["transitions"].get(item, [])
        plain = [(at, f, t) for at, f, t, _c in moves]
        intervals = history.blocked_intervals(
            plain, window.start, window.end, current_state=row.state
        )
        for start, end in intervals:
            causes: list[str] = []
            for at, _f, to_state, recorded in moves:
                if at <= start and to_state == State.BLOCKED:
                    causes = recorded
            if not causes:
                causes = extra["current"].get(item, [])
            teams = {owner.get(c) for c in causes if not (row.kind == "node" and c == row.ref)}
            for team_id in teams - {None}:
                found[team_id] += (end - start).total_seconds() / 3600
    return found


COLUMNS = [
    Column("name", "Team"),
    Column("team", "Slug"),
    Column("resolved", "Tickets resolved", "int"),
    Column("sla_met_pct", "SLA met", "pct"),
    Column("median_hours_to_resolve", "Median time to resolve", "hours"),
    Column("unblocked", "Items unblocked", "int"),
    Column("value_unblocked", "Value unblocked / week", "money"),
    Column("value_at_risk", "Value at risk now / week", "money"),
    Column("blocked_others_hours", "Hours its root causes blocked others", "hours"),
]


def tables(result: Result) -> list[Table]:
    return [
        Table(
            "teams",
            "Teams: output beside outcome",
            COLUMNS,
            result["teams"],
            empty="No team yet: teams are created by admins.",
        )
    ]


def charts(result: Result) -> list[Chart]:
    teams = result["teams"]
    return [
        Chart(
            "output-vs-outcome",
            "Per team: tickets resolved (output) beside items unblocked (outcome)",
            "bar",
            [t["name"] for t in teams],
            [
                {"label": "Tickets resolved", "data": [t["resolved"] for t in teams]},
                {"label": "Items unblocked", "data": [t["unblocked"] for t in teams]},
            ],
        ),
        Chart(
            "blocked-others",
            "Per team: hours its root causes blocked capabilities and objectives",
            "bar",
            [t["name"] for t in teams],
            [{"label": "Hours", "data": [t["blocked_others_hours"] for t in teams]}],
        ),
    ]


REPORT = register(
    Report(
        name="outcomes",
        title="Output and outcomes per team",
        question="Does each team's ticket work move the business, or only the ticket counts?",
        build=build,
        tables=tables,
        charts=charts,
        cache_seconds=300,
    )
)
