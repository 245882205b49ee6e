"""Report `alignment`: how much of the ticket work supports an objective (DESIGN §2).

The window's ticket activity is every ticket created, updated or resolved in it. A ticket
is *aligned* when it supports at least one objective: linked to the objective itself, or to
a node the objective requires, or to a node such a node depends on, at any depth. A ticket
linked to nothing is an *orphan*; it comes with suggested links (reports.suggestions).

Per team: the team whose assignment groups hold the ticket's group (reports.teams), else
"Unassigned"; a ticket linked to nodes of several teams still counts once, for the team that
worked it. Per week: a ticket counts in every week of the window in which it was created,
updated or resolved, so the weeks can add up to more than the whole.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cataligent.models import Team
from dependencies.models import Node
from objectives.models import Objective
from reports import loaders
from reports.activity import moments_in, pct, tickets_active_in, week_of, weeks_of
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.suggestions import Suggestion, SuggestionIndex
from reports.support import supported_by_ticket
from reports.teams import TeamDirectory, TeamRef, sort_key
from reports.window import Window

# Enough to choose from with one click; more is noise.
SUGGESTIONS_PER_TICKET = 3

_FIELDS = (
    "id",
    "key",
    "url",
    "title",
    "assignment_group",
    "ci",
    "components",
    "labels",
    "opened_at",
    "updated_at",
    "resolved_at",
    "connector__slug",
    "connector__name",
)


@dataclass
class Activity:
    """The window's tickets (as value rows, each with its team), and which are aligned."""

    rows: list[dict[str, Any]]
    aligned: set[int]
    linked: set[int]

    @property
    def orphans(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["id"] not in self.linked]


def window_activity(window: Window, directory: TeamDirectory) -> Activity:
    """Four queries: the tickets, their links and the graph read upwards (two)."""
    tickets = tickets_active_in(window)
    rows = list(tickets.order_by("-updated_at", "id").values(*_FIELDS))
    node_links, objective_links = loaders.ticket_links(tickets)
    supported = supported_by_ticket(loaders.support_graph(), node_links, objective_links)
    for row in rows:
        row["team"] = directory.of_group(row["assignment_group"])
        row["moments"] = moments_in(window, row["opened_at"], row["updated_at"], row["resolved_at"])
    if window.team is not None:
        rows = [row for row in rows if row["team"].slug == window.team.slug]
    aligned = {ticket for ticket, what in supported.items() if what.any_objective}
    return Activity(rows, aligned, set(node_links) | set(objective_links))


def alignment_share(window: Window) -> dict[str, Any]:
    """Only the overall share (the dashboard's tile): four queries."""
    tickets = tickets_active_in(window)
    ids = set(tickets.values_list("id", flat=True))
    node_links, objective_links = loaders.ticket_links(tickets)
    supported = supported_by_ticket(loaders.support_graph(), node_links, objective_links)
    aligned = sum(1 for ticket, what in supported.items() if what.any_objective and ticket in ids)
    return {"tickets": len(ids), "aligned": aligned, "aligned_pct": pct(aligned, len(ids))}


def suggestion_index() -> tuple[SuggestionIndex, dict[int, str]]:
    """Every node's and objective's names, and the team slugs: three queries."""
    index = SuggestionIndex.of(
        Node.objects.values_list("id", "slug", "name", "external_ref", "team_id").iterator(
            chunk_size=10_000
        ),
        Objective.objects.values_list("id", "key", "title", "team_id").iterator(chunk_size=10_000),
    )
    return index, dict(Team.objects.values_list("id", "slug"))


def suggest(row: dict[str, Any], index: SuggestionIndex) -> list[Suggestion]:
    return index.suggest(
        ci=row["ci"] or "",
        components=row["components"] if isinstance(row["components"], list) else [],
        labels=row["labels"] if isinstance(row["labels"], list) else [],
        title=row["title"] or "",
        limit=SUGGESTIONS_PER_TICKET,
    )


def _last_activity(row: dict[str, Any]) -> dt.datetime | None:
    return max(row["moments"], default=None)


def orphan_json(
    row: dict[str, Any], suggestions: Iterable[Suggestion], teams: dict[int, str]
) -> dict[str, Any]:
    last = _last_activity(row)
    return {
        "ticket": row["key"],
        "id": row["id"],
        "url": row["url"],
        "title": row["title"],
        "connector": row["connector__slug"],
        "team": row["team"].slug,
        "team_name": row["team"].name,
        "assignment_group": row["assignment_group"],
        "last_activity": last.isoformat() if last else None,
        "suggestions": [s.as_json(teams) for s in suggestions],
    }


def _share_rows(counts: Counter[Any], aligned: Counter[Any]) -> list[tuple[Any, int, int, Any]]:
    return [(key, counts[key], aligned[key], pct(aligned[key], counts[key])) for key in counts]


def build(window: Window) -> Result:
    directory = TeamDirectory.load()
    activity = window_activity(window, directory)
    total = len(activity.rows)
    by_team, team_aligned = Counter[TeamRef](), Counter[TeamRef]()
    by_connector, connector_aligned = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
    by_week, week_aligned = Counter[dt.date](), Counter[dt.date]()
    for row in activity.rows:
        is_aligned = row["id"] in activity.aligned
        connector = (row["connector__slug"], row["connector__name"])
        weeks = {week_of(moment) for moment in row["moments"]}
        by_team[row["team"]] += 1
        by_connector[connector] += 1
        by_week.update(weeks)
        if is_aligned:
            team_aligned[row["team"]] += 1
            connector_aligned[connector] += 1
            week_aligned.update(weeks)

    orphans = activity.orphans
    index, team_slugs = suggestion_index() if orphans else (SuggestionIndex(), {})
    aligned_total = sum(1 for row in activity.rows if row["id"] in activity.aligned)
    return {
        "window": window.as_filters(),
        "tickets": total,
        "aligned": aligned_total,
        "aligned_pct": pct(aligned_total, total),
        "by_team": [
            {"team": team.slug, "name": team.name, "tickets": n, "aligned": a, "aligned_pct": p}
            for team, n, a, p in sorted(
                _share_rows(by_team, team_aligned), key=lambda r: sort_key(r[0])
            )
        ],
        "by_connector": [
            {"connector": slug, "name": name, "tickets": n, "aligned": a, "aligned_pct": p}
            for (slug, name), n, a, p in sorted(_share_rows(by_connector, connector_aligned))
        ],
        "by_week": [
            {
                "week": week.isoformat(),
                "tickets": by_week[week],
                "aligned": week_aligned[week],
                "aligned_pct": pct(week_aligned[week], by_week[week]),
            }
            for week in weeks_of(window)
        ],
        "orphans_count": len(orphans),
        "orphans": [orphan_json(row, suggest(row, index), team_slugs) for row in orphans],
    }


# --- The page's tables and charts ------------------------------------------------------------

_SHARE_COLUMNS = [
    Column("tickets", "Tickets", "int"),
    Column("aligned", "Supporting an objective", "int"),
    Column("aligned_pct", "Aligned %", "pct"),
]


def _describe(suggestion: dict[str, Any]) -> str:
    ref = suggestion.get("slug") or suggestion.get("key")
    return f"{suggestion['kind']} {ref} ({suggestion['field']} “{suggestion['matched']}”)"


def tables(result: Result) -> list[Table]:
    return [
        Table(
            "by_team",
            "Aligned share per team (the team whose assignment groups hold the ticket's group)",
            [Column("name", "Team"), *_SHARE_COLUMNS],
            result["by_team"],
            empty="No ticket was created, updated or resolved in this window.",
        ),
        Table(
            "by_connector",
            "Aligned share per source",
            [Column("name", "Source"), *_SHARE_COLUMNS],
            result["by_connector"],
            empty="No ticket was created, updated or resolved in this window.",
        ),
        Table(
            "by_week",
            "Aligned share per week (a ticket counts in each week it was active)",
            [Column("week", "Week of", "date"), *_SHARE_COLUMNS],
            result["by_week"],
        ),
        Table(
            "orphans",
            "Orphan tickets: linked to nothing",
            [
                Column("ticket", "Ticket"),
                Column("title", "Title"),
                Column("team_name", "Team"),
                Column("connector", "Source"),
                Column("suggested", "Suggested links"),
                Column("url", "In the source", "link"),
            ],
            [
                {**row, "suggested": "; ".join(map(_describe, row["suggestions"])) or "—"}
                for row in result["orphans"]
            ],
            empty="No orphans: every ticket of this window is linked to a node or an objective.",
        ),
    ]


def charts(result: Result) -> list[Chart]:
    return [
        Chart(
            "aligned_by_week",
            "Share of ticket activity supporting an objective, per week",
            "line",
            [row["week"] for row in result["by_week"]],
            [{"label": "Aligned %", "data": [row["aligned_pct"] for row in result["by_week"]]}],
            {"scales": {"y": {"min": 0, "max": 100}}},
        ),
        Chart(
            "aligned_by_team",
            "Aligned share per team",
            "bar",
            [row["name"] for row in result["by_team"]],
            [{"label": "Aligned %", "data": [row["aligned_pct"] for row in result["by_team"]]}],
            {"scales": {"y": {"min": 0, "max": 100}}},
        ),
    ]


ALIGNMENT = register(
    Report(
        name="alignment",
        title="Alignment",
        question="How much ticket work supports an objective, and what is linked to nothing?",
        build=build,
        tables=tables,
        charts=charts,
    )
)
