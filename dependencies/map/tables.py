"""The map as tables: the blocked table (the map without JavaScript) and the bottleneck
ranking with who owns each root cause and its escalation path."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cataligent.modeling import GAP_FIELDS, effective_policy_id
from cataligent.people import name_of_row, person_fields
from cataligent.snapshot import one_snapshot
from dependencies.choices import NodeKind, State
from dependencies.graph.escalation_paths import LevelSpec, paths_by_policy
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.map.blocked_since import blocked_at_least_since, causes_started
from dependencies.map.drawing import result_cache, state_key
from dependencies.map.query import (
    KIND_LABEL,
    MapFilters,
    node_queryset,
    objective_queryset,
    url_maker,
    within_objectives,
)
from dependencies.map.shapes import STATE_RANK, weeks_since
from dependencies.models import ImpactState, Node
from dependencies.recompute.loader import impact_state, stored_ranking
from integrations.models import ACTIVE_CATEGORIES, TicketLink
from objectives.models import Objective, Requirement

# --- The blocked table (the map without JavaScript) ----------------------------------------


@dataclass
class BlockedRow:
    """One affected objective or capability with each of its root causes."""

    type: str  # "objective" or a node kind
    key: str  # objective key or node slug
    name: str
    state: str
    blocked_since: dt.datetime | None
    value_at_risk: Decimal
    panel_url: str
    detail_url: str
    causes: list[dict[str, Any]]

    @property
    def type_label(self) -> str:
        return "Objective" if self.type == "objective" else KIND_LABEL.get(self.type, self.type)


def blocked_rows(
    f: MapFilters, *, state: ImpactState | None = None, marker: int | None = None
) -> list[BlockedRow]:
    """Affected objectives and capabilities (or nodes of the chosen kind), worst and most
    valuable first, each with its root causes, their owners and the value at risk."""
    state = state or impact_state()
    key = ("rows", *state_key(state, marker), f.team, f.objective, f.period, f.kind, f.q)
    return result_cache.get_or_make(
        key, lambda: _blocked_rows(f), shared=state.computed_at is not None
    )


@one_snapshot()  # its reads agree: a recompute storing meanwhile does not mix two versions
@garbage_collector_paused()
def _blocked_rows(f: MapFilters) -> list[BlockedRow]:
    # Tens of thousands of rows and dicts, none in a cycle: with the collector on, it
    # traversed them again and again as they piled up (a third of the CPU at 250,000 nodes).
    kind = f.kind or NodeKind.CAPABILITY
    item_filters = MapFilters(team=f.team, objective=f.objective, period=f.period, q=f.q)
    objectives = (
        []
        if f.kind
        else list(
            objective_queryset(item_filters, affected_only=True).values(
                "key", "title", "state", "root_causes", "blocked_since", "value_at_stake"
            )
        )
    )
    node_qs = node_queryset(MapFilters(team=f.team, q=f.q), affected_only=True).filter(kind=kind)
    within = within_objectives(item_filters)
    if within is not None:
        node_qs = node_qs.filter(id__in=list(within))
    nodes = list(
        node_qs.values("id", "slug", "name", "kind", "state", "root_causes", "blocked_since")
    )

    # A capability's value at risk: what the blocked objectives that need it stand to lose.
    # Every requirement of a blocked objective (a few thousand rows), kept for the nodes
    # listed: at 250,000 nodes the list is 12,000 ids, whose IN took longer to build and
    # bind than the read.
    listed = {n["id"] for n in nodes}
    value: dict[int, Decimal] = defaultdict(Decimal)
    for node_id, objective_value in Requirement.objects.filter(
        objective__state=State.BLOCKED
    ).values_list("node_id", "objective__value_at_stake"):
        if node_id in listed:
            value[node_id] += objective_value

    cause_slugs = {c for row in [*objectives, *nodes] for c in row["root_causes"]}
    causes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=cause_slugs).values(
            "slug",
            "name",
            "kind",
            "intrinsic_state",
            "team__name",
            *person_fields("owner"),
        )
    }

    node_panel_url, node_detail_url = url_maker("map-node-panel"), url_maker("node-detail")
    cause_info = {
        slug: {
            "slug": slug,
            "name": causes[slug]["name"] if slug in causes else slug,
            "kind": KIND_LABEL.get(causes.get(slug, {}).get("kind", ""), ""),
            "state": causes[slug]["intrinsic_state"] if slug in causes else "",
            "owner": causes[slug]["owner__username"] if slug in causes else None,
            "owner_name": name_of_row(causes[slug]) if slug in causes else None,
            "team": causes[slug]["team__name"] if slug in causes else None,
            "panel_url": node_panel_url(slug),
            "detail_url": node_detail_url(slug),
        }
        for slug in cause_slugs
    }

    def cause_list(slugs: list[str]) -> list[dict[str, Any]]:
        return [cause_info[slug] for slug in slugs]

    objective_panel_url = url_maker("map-objective-panel")
    objective_detail_url = url_maker("objective-detail")
    rows = [
        BlockedRow(
            type="objective",
            key=o["key"],
            name=o["title"],
            state=o["state"],
            blocked_since=o["blocked_since"],
            value_at_risk=o["value_at_stake"] if o["state"] == State.BLOCKED else Decimal(0),
            panel_url=objective_panel_url(o["key"]),
            detail_url=objective_detail_url(o["key"]),
            causes=cause_list(o["root_causes"]),
        )
        for o in objectives
    ] + [
        BlockedRow(
            type=n["kind"],
            key=n["slug"],
            name=n["name"],
            state=n["state"],
            blocked_since=n["blocked_since"],
            value_at_risk=value[n["id"]],
            panel_url=node_panel_url(n["slug"]),
            detail_url=node_detail_url(n["slug"]),
            causes=cause_list(n["root_causes"]),
        )
        for n in nodes
    ]
    rows.sort(
        key=lambda r: (
            r.type != "objective",
            -STATE_RANK[State(r.state)],
            -r.value_at_risk,
            r.name,
        )
    )
    return rows


# --- Bottlenecks ---------------------------------------------------------------------------


@dataclass
class BottleneckRow:
    rank: int
    node: dict[str, Any]
    capabilities: list[dict[str, str]]
    objectives: list[dict[str, Any]]
    value_at_risk: Decimal
    accumulated: Decimal
    open_tickets: int
    blocking_tickets: int
    escalation: dict[str, Any] | None

    @property
    def owner(self) -> str | None:
        return self.node["owner__username"]

    @property
    def owner_name(self) -> str:
        return name_of_row(self.node)


def escalation_due(
    levels: list[LevelSpec], since: dt.datetime | None, now: dt.datetime
) -> dict[str, Any]:
    """Which level of a policy is due after blocked time `since` (levels fire after so many
    minutes of continuous blockage, DESIGN §2)."""
    minutes = (now - since).total_seconds() / 60 if since else 0
    due = [level for level in levels if since and level.after_minutes <= minutes]
    reached = due[-1] if due else None
    return {
        "levels": len(levels),
        "due_position": reached.position if reached else 0,
        "due_target": reached.target_display if reached else "",
        "next": next((lv for lv in levels if lv not in due), None),
    }


@one_snapshot()  # the ranking and the rows it names, as one version of the results
def bottleneck_rows(
    *, team: str = "", q: str = "", now: dt.datetime | None = None
) -> list[BottleneckRow]:
    """The ranking of DESIGN §2.7 as stored by the last recompute, with who owns each root
    cause, its escalation path, open tickets and what it has cost so far."""
    now = now or timezone.now()
    ranking = stored_ranking()
    slugs = [b["node"] for b in ranking]
    nodes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=slugs).values(
            "id",
            "slug",
            "name",
            "kind",
            "state",
            "intrinsic_state",
            "manual_state",
            "manual_reason",
            "blocked_since",
            *person_fields("owner"),
            "team__slug",
            "team__name",
            *GAP_FIELDS,
        )
    }
    if team or q:
        needle = q.lower()
        nodes = {
            slug: row
            for slug, row in nodes.items()
            if (not team or row["team__slug"] == team)
            and (not needle or needle in row["name"].lower() or needle in slug)
        }
    ranking = [b for b in ranking if b["node"] in nodes]
    started = causes_started(nodes)
    objective_keys = {k for b in ranking for k in b["objectives"]}
    objectives = {
        row["key"]: row
        for row in Objective.objects.filter(key__in=objective_keys).values(
            "key", "title", "value_at_stake", "blocked_since", "state"
        )
    }
    capability_slugs = {c for b in ranking for c in b["capabilities"]}
    capability_names = dict(
        Node.objects.filter(slug__in=capability_slugs).values_list("slug", "name")
    )
    node_ids = [row["id"] for row in nodes.values()]
    tickets: dict[int, tuple[int, int]] = {
        row["node_id"]: (row["open"], row["blocking"])
        for row in TicketLink.objects.filter(
            node_id__in=node_ids, ticket__status_category__in=ACTIVE_CATEGORIES
        )
        .values("node_id")
        .annotate(open=Count("id"), blocking=Count("id", filter=Q(ticket__is_blocking=True)))
    }
    policy_of = {
        slug: effective_policy_id(
            row["escalation_policy_id"], row["team__default_escalation_policy_id"]
        )
        for slug, row in nodes.items()
    }
    paths = paths_by_policy(policy_of.values())

    node_url, objective_url = url_maker("node-detail"), url_maker("objective-detail")
    panel_url = url_maker("map-node-panel")
    rows = []
    for rank, b in enumerate(ranking, start=1):
        node = nodes[b["node"]] | {
            "panel_url": panel_url(b["node"]),
            "blocked_at_least": blocked_at_least_since(
                nodes[b["node"]]["blocked_since"], [b["node"]], started
            ),
        }
        blocked = [objectives[k] for k in b["objectives"] if k in objectives]
        accumulated = sum(
            (o["value_at_stake"] * weeks_since(o["blocked_since"], now) for o in blocked),
            Decimal(0),
        )
        path = paths[policy_of[b["node"]]]
        rows.append(
            BottleneckRow(
                rank=rank,
                node=node,
                capabilities=[
                    {"slug": c, "name": capability_names.get(c, c), "url": node_url(c)}
                    for c in b["capabilities"]
                ],
                objectives=[o | {"url": objective_url(o["key"])} for o in blocked],
                value_at_risk=Decimal(b["value_at_risk"]),
                accumulated=accumulated.quantize(Decimal(1)),
                open_tickets=tickets.get(node["id"], (0, 0))[0],
                blocking_tickets=tickets.get(node["id"], (0, 0))[1],
                escalation={
                    "policy": path.name,
                    "policy_name": path.policy.name if path.policy else "",
                    "inherited": node["escalation_policy_id"] is None,
                    "is_default": path.is_default,
                }
                | escalation_due(list(path.levels), node["blocked_since"], now),
            )
        )
    return rows
