"""Report `spend` (DESIGN §2): what the objectives and capabilities cost to run in the window,
and how much of it bought no outcome because the item was blocked.

Per objective and capability: `spend` (run cost allocated up the graph, `reports.allocation`;
a month the window cuts counts pro rata by days), `value_at_stake` (an objective's own; a
capability's is that of the objectives resting on it), `blocked_hours` (state history),
`value_lost` (value at stake per week x blocked weeks) and `spend_on_blocked`: the spend
pro-rated over the hours the item was blocked (spend x blocked hours / window hours).

Totals count each unit of money once: the cost in the window, what of it reached objectives,
what reached none (listed as `unallocated`), and the objectives' value lost and spend on
blocked items (a capability's spend is already inside the objectives that require it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from dependencies.models import Node
from objectives.models import Objective
from reports import history, loaders
from reports.prorata import month_weights_between
from reports.registry import Chart, Column, Report, Result, Table, register
from reports.spend_allocation import window_allocation
from reports.state_reads import CAPABILITIES_AND_OBJECTIVES, transitions_since
from reports.window import Window

CENT = Decimal("0.01")
TOP = 10
UNALLOCATED_LISTED = 50


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def build(window: Window) -> Result:
    team_id = window.team.pk if window.team is not None else None
    objectives = Objective.objects.values_list(
        "id", "key", "title", "team__slug", "team_id", "value_at_stake", "state"
    )
    capabilities = list(
        Node.objects.filter(kind="capability").values_list(
            "id", "slug", "name", "team__slug", "team_id", "state"
        )
    )
    weights = month_weights_between(
        timezone.localtime(window.start), timezone.localtime(window.end)
    )
    allocation = window_allocation(weights, [row[0] for row in capabilities])
    transitions = transitions_since(window.start, CAPABILITIES_AND_OBJECTIVES)
    value_of = {row[0]: row[5] for row in objectives}
    items: list[dict[str, Any]] = []

    def item(
        kind: str,
        ref: loaders.ItemRef,
        ident: dict[str, str],
        team: str | None,
        value: Decimal,
        state: str,
        spend: Decimal,
    ) -> dict[str, Any]:
        intervals = history.blocked_intervals(
            transitions.get(ref, []), window.start, window.end, current_state=state
        )
        hours = history.hours(intervals)
        on_blocked = spend * Decimal(hours / window.hours) if window.hours else Decimal(0)
        lost = history.value_lost(value, hours)
        return {
            "kind": kind,
            **ident,
            "team": team,
            "state": state,
            "spend": _money(spend),
            "value_at_stake": _money(value),
            "blocked_hours": round(hours, 1),
            "value_lost": _money(lost),
            "spend_on_blocked": _money(on_blocked),
            "friction": _money(lost + on_blocked),
        }

    for pk, key, title, team, row_team, value, state in objectives:
        if team_id is not None and row_team != team_id:
            continue
        spend = allocation.objectives.get(pk, Decimal(0))
        items.append(
            item(
                "objective",
                ("objective", pk),
                {"key": key, "name": title},
                team,
                value,
                state,
                spend,
            )
        )
    for pk, slug, name, team, row_team, state in capabilities:
        if team_id is not None and row_team != team_id:
            continue
        resting = allocation.resting.get(pk, ())
        value = sum((value_of.get(o, Decimal(0)) for o in resting), Decimal(0))
        spend = allocation.capabilities.get(pk, Decimal(0))
        items.append(
            item("node", ("node", pk), {"slug": slug, "name": name}, team, value, state, spend)
        )

    items.sort(key=lambda i: (-Decimal(i["spend"]), i["kind"], i.get("key") or i.get("slug")))
    objective_rows = [i for i in items if i["kind"] == "objective"]
    top = sorted(
        (i for i in items if Decimal(i["friction"]) > 0),
        key=lambda i: (-Decimal(i["friction"]), i["kind"] != "objective"),
    )[:TOP]
    unallocated = sorted(allocation.unallocated.items(), key=lambda kv: -kv[1])
    slugs = dict(
        Node.objects.filter(pk__in=[n for n, _ in unallocated[:UNALLOCATED_LISTED]]).values_list(
            "pk", "slug"
        )
    )
    total_cost = allocation.total
    return {
        "window": window.as_filters(),
        "currency": settings.CURRENCY,
        "items": items,
        "top_friction": [
            {
                k: i.get(k)
                for k in (
                    "kind",
                    "key",
                    "slug",
                    "name",
                    "value_lost",
                    "spend_on_blocked",
                    "friction",
                )
            }
            for i in top
        ],
        "unallocated": [
            {"node": slugs[n], "amount": _money(amount)}
            for n, amount in unallocated[:UNALLOCATED_LISTED]
        ],
        "unallocated_count": len(unallocated),
        "totals": {
            "cost": _money(total_cost),
            "allocated_to_objectives": _money(sum(allocation.objectives.values(), Decimal(0))),
            "unallocated": _money(sum(allocation.unallocated.values(), Decimal(0))),
            "value_at_stake": _money(
                sum((Decimal(i["value_at_stake"]) for i in objective_rows), Decimal(0))
            ),
            "value_lost": _money(
                sum((Decimal(i["value_lost"]) for i in objective_rows), Decimal(0))
            ),
            "spend_on_blocked": _money(
                sum((Decimal(i["spend_on_blocked"]) for i in objective_rows), Decimal(0))
            ),
        },
        "cycles": allocation.cycles,
    }


ITEM_COLUMNS = [
    Column("kind", "Kind"),
    Column("key", "Objective"),
    Column("slug", "Capability"),
    Column("name", "Name"),
    Column("team", "Team"),
    Column("spend", "Spend", "money"),
    Column("value_at_stake", "Value at stake / week", "money"),
    Column("blocked_hours", "Blocked hours", "hours"),
    Column("value_lost", "Value lost", "money"),
    Column("spend_on_blocked", "Spend on blocked", "money"),
]


def tables(result: Result) -> list[Table]:
    totals = result["totals"]
    return [
        Table(
            "items",
            "Spend per objective and capability",
            ITEM_COLUMNS,
            result["items"],
            empty="No objectives or capabilities here. No costs yet? manage.py import_costs.",
        ),
        Table(
            "top_friction",
            "Where friction erodes margin most (value lost + spend on blocked)",
            [
                Column("kind", "Kind"),
                Column("key", "Objective"),
                Column("slug", "Capability"),
                Column("name", "Name"),
                Column("value_lost", "Value lost", "money"),
                Column("spend_on_blocked", "Spend on blocked", "money"),
                Column("friction", "Together", "money"),
            ],
            result["top_friction"],
            empty="Nothing was blocked in this window.",
        ),
        Table(
            "totals",
            "Totals",
            [Column("name", "What"), Column("amount", "Amount", "money")],
            [
                {"name": "Run cost in the window", "amount": totals["cost"]},
                {"name": "Allocated to objectives", "amount": totals["allocated_to_objectives"]},
                {"name": "Reached no objective (unallocated)", "amount": totals["unallocated"]},
                {"name": "Value lost (objectives)", "amount": totals["value_lost"]},
                {"name": "Spend on blocked objectives", "amount": totals["spend_on_blocked"]},
            ],
        ),
        Table(
            "unallocated",
            "Cost that reached no objective (nothing depends on these nodes)",
            [Column("node", "Node"), Column("amount", "Amount", "money")],
            result["unallocated"],
            empty="Every cost reaches an objective.",
        ),
    ]


def charts(result: Result) -> list[Chart]:
    top = result["top_friction"]
    return [
        Chart(
            "friction",
            "Where friction erodes margin",
            "bar",
            [i.get("key") or i.get("slug") for i in top],
            [
                {"label": "Value lost", "data": [float(i["value_lost"]) for i in top]},
                {"label": "Spend on blocked", "data": [float(i["spend_on_blocked"]) for i in top]},
            ],
            {"stacked": True, "money": True},
        )
    ]


register(
    Report(
        name="spend",
        title="Spend",
        question=(
            "What do our objectives cost to run, "
            "and how much of it bought nothing while they were blocked?"
        ),
        build=build,
        tables=tables,
        charts=charts,
    )
)
