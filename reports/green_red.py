"""Report `green-red`: output beside outcome for every capability and objective (DESIGN §2).

Per item in the window:
- `tickets`: tickets alive in the window that support it (`reads.tickets_in`; a ticket
  supports the items above the nodes it is linked to, and the objectives it is linked to);
- `resolved`: those resolved inside the window;
- `sla_met_pct`: of the resolved ones with an SLA result (`sla_breached` not null), the share
  that met it; null when none has one;
- `blocked_hours`: hours of the window the item was blocked (state history);
- `value_lost`: value at stake per week x blocked weeks. An objective's value at stake is its
  own; a capability's is the sum of the value at stake of the objectives that need it,
  directly or through other capabilities (each once), as the map's bottleneck ranking counts;
- `disconnect`: `sla_met_pct` >= REPORT_SLA_MET_PCT while `blocked_hours` >=
  REPORT_MIN_BLOCKED_HOURS. With no SLA result there is no disconnect to claim.
Only items with a supporting ticket or a blocked hour are listed.

Drill-downs, over tickets resolved in the window:
- `resolved_but_blocked`: a node the ticket is linked to was blocked when it was resolved and
  stayed blocked, without a break, at least REPORT_MIN_BLOCKED_HOURS after (until now);
- `wrong_department`: resolved by an assignment group that belongs to no team owning any node
  it is linked to, or bounced (reassigned at least twice). Judging the group needs the
  teams' assignment groups: while no team has any, only bouncing is judged.
Each row names one (ticket, linked node) pair.

The `team` filter keeps the items the team owns and the rows whose node it owns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.urls import reverse

from reports import history, ticket_reads
from reports.reach import BitCounter, ItemReach
from reports.reads import ReportData, load
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.window import Window

BOUNCED_REASSIGNMENTS = 2  # DESIGN §2: "bounced (reassignment count >= 2)"


def build(window: Window) -> Result:
    data = load(window)
    return green_red(
        data,
        ticket_reads.support_classes(window),
        ticket_reads.resolved_with_nodes(window),
    )


def support_counts(
    reach: ItemReach, links: list[tuple[int, int | None, int | None, int]]
) -> list[tuple[int, int, int, int]]:
    """Per item bit: (tickets, resolved, resolved with an SLA result, of which met).

    A ticket supports the items above the nodes it is linked to and the objectives it is
    linked to, each once however many of its links lead there: its items are the union
    (`|`) of its links' bitsets. Tickets with the same items and class are counted together
    (most of them: one link each, to a few thousand nodes), each group once per class in a
    `BitCounter`, so the cost follows the distinct item sets, not the tickets."""
    above, objective_bit = reach.above, reach.objective_bit
    masks: dict[int, int] = {}
    classes: dict[int, int] = {}
    for ticket, node, objective, klass in links:
        mask = masks.get(ticket, 0)
        if node is not None:
            mask |= above.get(node, 0)
        if objective is not None and objective in objective_bit:
            mask |= 1 << objective_bit[objective]
        masks[ticket] = mask
        classes[ticket] = klass
    counters = [BitCounter() for _ in range(4)]  # by class: open, no SLA, breached, met
    for (mask, klass), times in Counter(zip(masks.values(), classes.values(), strict=True)).items():
        if mask:
            counters[klass].add(mask, times)
    size = len(reach.items)
    opened, no_sla, breached, met = (c.counts(size) for c in counters)
    return [
        (o + n + b + m, n + b + m, b + m, m)
        for o, n, b, m in zip(opened, no_sla, breached, met, strict=True)
    ]


def green_red(
    data: ReportData,
    links: list[tuple[int, int | None, int | None, int]],
    resolved: list[tuple[Any, ...]],
) -> Result:
    """`links`: `ticket_reads.support_classes`; `resolved`: `ticket_reads.resolved_with_nodes`."""
    team_id = data.window.team.pk if data.window.team else None
    min_pct = settings.REPORT_SLA_MET_PCT
    min_hours = settings.REPORT_MIN_BLOCKED_HOURS

    counts = support_counts(data.reach, links)
    bit_of = {item: bit for bit, item in enumerate(data.reach.items)}

    items = []
    for ref, row in data.items.items():
        if team_id is not None and row.team_id != team_id:
            continue
        tickets, resolved_count, with_sla, met = counts[bit_of[ref]]
        hours = data.blocked_hours_in_window(ref, row.state)
        if not tickets and hours <= 0:
            continue
        pct = round(100 * met / with_sla, 1) if with_sla else None
        items.append(
            {
                "kind": row.kind,
                ("slug" if row.kind == "node" else "key"): row.ref,
                "name": row.name,
                "team": _team_slug(data, row.team_id),
                "state": row.state,
                "tickets": tickets,
                "resolved": resolved_count,
                "sla_met_pct": pct,
                "blocked_hours": round(hours, 1),
                "value_at_stake": str(row.value_at_stake),
                "value_lost": str(history.value_lost(row.value_at_stake, hours)),
                "disconnect": pct is not None and pct >= min_pct and hours >= min_hours,
            }
        )
    items.sort(
        key=lambda i: (
            not i["disconnect"],
            -Decimal(i["value_lost"]),
            -i["blocked_hours"],
            i["kind"],
            i.get("slug") or i.get("key"),
        )
    )
    resolved_but_blocked, wrong_department = _drill_downs(data, resolved, team_id, min_hours)
    return {
        "thresholds": {"sla_met_pct": min_pct, "blocked_hours": min_hours},
        "summary": {
            "items": len(items),
            "disconnects": sum(i["disconnect"] for i in items),
            "value_lost": str(sum((Decimal(i["value_lost"]) for i in items), Decimal(0))),
            "resolved_but_blocked": len(resolved_but_blocked),
            "wrong_department": len(wrong_department),
        },
        "items": items,
        "resolved_but_blocked": resolved_but_blocked,
        "wrong_department": wrong_department,
        "assignment_groups_configured": bool(data.group_teams()),
    }


def _team_slug(data: ReportData, team_id: int | None) -> str | None:
    team = data.teams.get(team_id) if team_id is not None else None
    return team.slug if team else None


def _drill_downs(
    data: ReportData, links: list[tuple[Any, ...]], team_id: int | None, min_hours: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Over `ticket_reads.resolved_with_nodes` (a ticket's links are consecutive rows). Plain
    tuples rather than an object per ticket and node: on 23,000 resolved tickets the objects
    cost more than the definition."""
    groups = data.group_teams()
    # One span per ticket: (resolved at, key, first row, end row).
    spans: list[tuple[Any, str, int, int]] = []
    first = 0
    for i in range(1, len(links) + 1):
        if i == len(links) or links[i][0] != links[first][0]:
            spans.append((links[first][3], links[first][1], first, i))
            first = i
    spans.sort(key=lambda span: (span[0], span[1]))

    # How long each node stayed blocked after a moment: only nodes blocked since the
    # window began have intervals (`ReportData.history` holds just their moves).
    intervals: dict[int, list[history.Interval]] = {}
    slug_of = {pk: team.slug for pk, team in data.teams.items()}
    by_slug = itemgetter(7)
    still_blocked: list[dict[str, Any]] = []
    elsewhere: list[dict[str, Any]] = []
    for resolved_at, key, start, end in spans:
        # (ticket, key, url, resolved, group, reassignments, node, slug, name, team, state)
        rows = links[start:end]
        if len(rows) > 1:
            rows.sort(key=by_slug)
        _, _, url, _, raw_group, reassignments, *_ = rows[0]
        group = raw_group.strip()
        reasons = []
        if groups and group:
            owners = {row[9] for row in rows}
            if not groups.get(group.casefold(), set()) & owners:
                reasons.append("resolved by a group of no owning team")
        if (reassignments or 0) >= BOUNCED_REASSIGNMENTS:
            reasons.append(f"bounced ({reassignments} reassignments)")
        for *_, node, slug, name, owner, state in rows:
            if team_id is not None and owner != team_id:
                continue
            if node not in intervals:
                intervals[node] = data.blocked_intervals(("node", node), state)
            after = (
                history.blocked_hours_after(intervals[node], resolved_at)
                if intervals[node]
                else 0.0
            )
            if not reasons and after < min_hours:
                continue
            row = {
                "ticket": key,
                "ticket_url": url,
                "node": slug,
                "node_name": name,
                "team": slug_of.get(owner) if owner is not None else None,
                "resolving_group": group,
                "resolved_at": resolved_at.isoformat(),
            }
            if after >= min_hours:
                still_blocked.append(row | {"blocked_hours_after": round(after, 1)})
            if reasons:
                row["reasons"] = reasons
                elsewhere.append(row)
    return still_blocked, elsewhere


# --- Surfaces: the page's tables and charts ------------------------------------------------

ITEM_COLUMNS = [
    Column("item", "Item", "link"),
    Column("kind", "Kind"),
    Column("team", "Team"),
    Column("tickets", "Tickets", "int"),
    Column("resolved", "Resolved", "int"),
    Column("sla_met_pct", "SLA met", "pct"),
    Column("blocked_hours", "Blocked", "hours"),
    Column("value_lost", "Value lost", "money"),
    Column("disconnect", "Disconnect", "bool"),
]
DRILL_COLUMNS = [
    Column("ticket", "Ticket", "link"),
    Column("node", "Node", "link"),
    Column("team", "Owning team"),
    Column("resolving_group", "Resolving group"),
    Column("resolved_at", "Resolved", "date"),
]


def _url_of(name: str) -> Callable[[str], str]:
    """The page of an item, by slug or key: one reverse() for all the rows."""
    template = reverse(name, args=["__ref__"])
    return lambda ref: template.replace("__ref__", ref)


def _item_rows(result: Result) -> list[dict[str, Any]]:
    node_url, objective_url = _url_of("node-detail"), _url_of("objective-detail")
    return [
        i
        | {
            "item": i["name"],
            "item_url": node_url(i["slug"]) if i["kind"] == "node" else objective_url(i["key"]),
            "kind": "objective" if i["kind"] == "objective" else "capability",
        }
        for i in result["items"]
    ]


def _drill_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node_url = _url_of("node-detail")
    return [r | {"node_url": node_url(r["node"])} for r in rows]


def tables(result: Result) -> list[Table]:
    return [
        Table(
            "items",
            "Capabilities and objectives: output beside outcome",
            ITEM_COLUMNS,
            _item_rows(result),
            empty="No capability or objective had a supporting ticket or a blocked hour "
            "in this window.",
        ),
        Table(
            "resolved_but_blocked",
            "Resolved, but the node stayed blocked",
            [*DRILL_COLUMNS, Column("blocked_hours_after", "Blocked after", "hours")],
            _drill_rows(result["resolved_but_blocked"]),
            empty="No ticket was resolved while a node it is linked to stayed blocked.",
        ),
        Table(
            "wrong_department",
            "Went to the wrong department",
            [*DRILL_COLUMNS, Column("reasons", "Why")],
            [
                r | {"reasons": "; ".join(r["reasons"])}
                for r in _drill_rows(result["wrong_department"])
            ],
            empty="Every resolved ticket was resolved by a team owning its node, without bouncing.",
        ),
    ]


CHART_ITEMS = 25  # a chart of more bars than this is read as a texture, not as numbers


def charts(result: Result) -> list[Chart]:
    shown = result["items"][:CHART_ITEMS]
    labels = [i["name"] for i in shown]
    return [
        Chart(
            "sla-vs-blocked",
            f"% SLA met beside hours blocked (top {len(shown)}; disconnects first)",
            "bar",
            labels,
            [
                {
                    "label": "% SLA met",
                    "data": [i["sla_met_pct"] for i in shown],
                    "xAxisID": "pct",
                    "highlight": [i["disconnect"] for i in shown],
                },
                {
                    "label": "Hours blocked",
                    "data": [i["blocked_hours"] for i in shown],
                    "xAxisID": "hours",
                    "highlight": [i["disconnect"] for i in shown],
                },
            ],
            {
                "indexAxis": "y",
                "scales": {
                    "pct": {
                        "position": "top",
                        "min": 0,
                        "max": 100,
                        "title": {"text": "% SLA met"},
                    },
                    "hours": {"position": "bottom", "min": 0, "title": {"text": "hours blocked"}},
                },
            },
        )
    ]


REPORT = register(
    Report(
        name="green-red",
        title="Green-red disconnects",
        question="Which capabilities and objectives look green in the ticket tools but are red "
        "for the business?",
        build=build,
        tables=tables,
        charts=charts,
        cache_seconds=300,
    )
)
