"""Report `trends` (DESIGN §2): daily series over the window, and time to unblock.

Series (a point per day, the state at the day's end, or now for today): blocked capabilities,
blocked objectives, value at risk (the blocked objectives' value at stake per week), open
escalations and open ownership gaps. What the data cannot tell is said, not invented:
- The state history (`StateTransition`) starts when the product started recording it; where
  the window reaches further back, the state series start with the history (`starts_at`, a
  note) instead of guessing.
- Open escalations are rebuilt from each escalation's `fired_at` and `resolved_at`.
- No history of ownership gaps is kept, so that series is today's count alone (a note says so).

Time to unblock: for each blockage of a node or objective that ended in the window, its length,
per owning team and month of the unblock: median and p90 (nearest rank) in hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min, Q
from django.utils import timezone

from cataligent.modeling import OWNERSHIP_GAP
from dependencies.models import Escalation, Node, StateTransition
from objectives.models import Objective
from reports import series
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.state_reads import (
    CAPABILITIES_AND_OBJECTIVES,
    transitions_since,
    unblock_episodes,
)
from reports.window import Window

SERIES = (
    ("blocked_capabilities", "Blocked capabilities"),
    ("blocked_objectives", "Blocked objectives"),
    ("value_at_risk", "Value at risk per week"),
    ("open_escalations", "Open escalations"),
    ("open_ownership_gaps", "Open ownership gaps"),
)


def _day_ends(first: dt.date, last: dt.date, end: dt.datetime) -> list[tuple[dt.date, dt.datetime]]:
    """Each day of [first, last] with the moment it is read at: its end, or `end` if sooner."""
    days = []
    day = first
    while day <= last:
        next_start = timezone.make_aware(
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
        )
        days.append((day, min(next_start - dt.timedelta(microseconds=1), end)))
        day += dt.timedelta(days=1)
    return days


def build(window: Window, *, now: dt.datetime | None = None) -> Result:
    now = now or timezone.now()
    end = min(window.end, now)
    team = window.team
    today = timezone.localtime(now).date()
    notes: list[str] = []

    nodes = Node.objects.all()
    objectives = Objective.objects.all()
    escalations = Escalation.objects.all()
    if team is not None:
        nodes, objectives = nodes.filter(team=team), objectives.filter(team=team)
        escalations = escalations.filter(Q(node__team=team) | Q(objective__team=team))

    first_recorded = StateTransition.objects.aggregate(first=Min("at"))["first"]
    items = CAPABILITIES_AND_OBJECTIVES
    if team is not None:
        items &= Q(node__team=team) | Q(objective__team=team)
    history = transitions_since(window.start, items) if first_recorded is not None else {}
    days = _day_ends(window.first_day, min(window.last_day, timezone.localtime(end).date()), end)
    if first_recorded is None:
        notes.append("No state history is recorded yet: the state series show today's point only.")
        state_days = [(d, m) for d, m in days if d == today]
        starts_at = today.isoformat() if state_days else None
    else:
        first_day = timezone.localtime(first_recorded).date()
        state_days = [(d, m) for d, m in days if d >= first_day]
        starts_at = state_days[0][0].isoformat() if state_days else None
        if first_day > window.first_day:
            notes.append(
                f"The state history begins on {first_day.isoformat()}: the blocked and "
                "value-at-risk series start there."
            )
    moments = [m for _, m in state_days]

    capability_items = [
        series.Tracked(("node", pk), state)
        for pk, state in nodes.filter(kind="capability").values_list("pk", "state")
    ]
    objective_rows = list(objectives.values_list("pk", "state", "value_at_stake"))
    objective_items = [
        series.Tracked(("objective", pk), state, value) for pk, state, value in objective_rows
    ]
    capabilities = series.blocked_series(capability_items, history, moments)
    blocked_objectives = series.blocked_series(objective_items, history, moments)
    escalation_rows = list(
        escalations.filter(fired_at__lte=end).values_list("fired_at", "resolved_at")
    )
    open_escalations = series.open_at(escalation_rows, [m for _, m in days])

    gap_points = []
    if any(d == today for d, _ in days):
        gaps = nodes.filter(OWNERSHIP_GAP).count() + objectives.filter(OWNERSHIP_GAP).count()
        gap_points = [[today.isoformat(), gaps]]
    notes.append(
        "No history of ownership gaps is kept: the gaps series is today's count alone"
        + ("." if gap_points else ", and this window does not include today.")
    )

    labels = [d.isoformat() for d, _ in state_days]
    result_series = [
        {
            "name": "blocked_capabilities",
            "starts_at": starts_at,
            "points": [[d, c] for d, (c, _) in zip(labels, capabilities, strict=True)],
        },
        {
            "name": "blocked_objectives",
            "starts_at": starts_at,
            "points": [[d, c] for d, (c, _) in zip(labels, blocked_objectives, strict=True)],
        },
        {
            "name": "value_at_risk",
            "starts_at": starts_at,
            "points": [[d, float(v)] for d, (_, v) in zip(labels, blocked_objectives, strict=True)],
        },
        {
            "name": "open_escalations",
            "starts_at": days[0][0].isoformat() if days else None,
            "points": [
                [d.isoformat(), n] for (d, _), n in zip(days, open_escalations, strict=True)
            ],
        },
        {
            "name": "open_ownership_gaps",
            "starts_at": gap_points[0][0] if gap_points else None,
            "points": gap_points,
        },
    ]
    return {
        "window": window.as_filters(),
        "starts_at": starts_at,
        "notes": notes,
        "series": result_series,
        "time_to_unblock": _time_to_unblock(window, team),
    }


def _time_to_unblock(window: Window, team: Any) -> list[dict[str, object]]:
    where = Q() if team is None else Q(node__team=team) | Q(objective__team=team)
    return series.time_to_unblock(
        (slug, timezone.localtime(at).date().replace(day=1), hours)
        for slug, at, hours in unblock_episodes(window.start, window.end, where)
    )


def tables(result: Result) -> list[Table]:
    by_day: dict[str, dict[str, Any]] = {}
    for line in result["series"]:
        for day, value in line["points"]:
            by_day.setdefault(day, {"date": day})[line["name"]] = value
    return [
        Table(
            "series",
            "Day by day",
            [Column("date", "Date", "date")]
            + [
                Column(name, label, "money" if name == "value_at_risk" else "int")
                for name, label in SERIES
            ],
            [by_day[d] for d in sorted(by_day)],
            empty="No history in this window.",
        ),
        Table(
            "time_to_unblock",
            "Time to unblock per team and month",
            [
                Column("team", "Team"),
                Column("month", "Month"),
                Column("unblocked", "Unblocked", "int"),
                Column("median_hours", "Median", "hours"),
                Column("p90_hours", "p90", "hours"),
            ],
            result["time_to_unblock"],
            empty="Nothing owned by a team was unblocked in this window.",
        ),
    ]


def charts(result: Result) -> list[Chart]:
    named = {line["name"]: line for line in result["series"]}
    counts = ["blocked_capabilities", "blocked_objectives", "open_escalations"]
    labels = sorted({d for name in counts for d, _ in named[name]["points"]})

    def data(name: str) -> list[Any]:
        values = dict(named[name]["points"])
        return [values.get(d) for d in labels]

    titles = dict(SERIES)
    return [
        Chart(
            "blocked",
            "Blocked items and open escalations",
            "line",
            labels,
            # Dashes tell apart lines that often lie on each other (an objective is blocked
            # exactly when the capability it needs is).
            [
                {"label": titles[n], "data": data(n), "borderDash": dash, "borderWidth": 2}
                for n, dash in zip(counts, ([], [8, 4], [2, 3]), strict=True)
            ],
        ),
        Chart(
            "value_at_risk",
            "Value at risk per week",
            "line",
            [d for d, _ in named["value_at_risk"]["points"]],
            [
                {
                    "label": titles["value_at_risk"],
                    "data": [v for _, v in named["value_at_risk"]["points"]],
                }
            ],
            {"money": True},
        ),
    ]


def dashboard_chart(window: Window) -> Chart:
    """The dashboard's trend: blocked objectives and capabilities over the window."""
    return charts(build(window))[0]


register(
    Report(
        name="trends",
        title="Trends",
        question="Are we getting blocked less often, and unblocked faster?",
        build=build,
        tables=tables,
        charts=charts,
    )
)
