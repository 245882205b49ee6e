"""What-if, single points of failure and the filters' choices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cataligent.modeling import GAP_FIELDS, row_gaps
from cataligent.models import Team
from cataligent.people import person_fields
from dependencies import impact
from dependencies.choices import NodeKind, State
from dependencies.map.drawing import result_cache
from dependencies.map.query import KIND_LABEL
from dependencies.models import Node
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import current_result
from objectives.models import Objective, Period

# --- What-if and single points of failure --------------------------------------------------


def whatif_problems(block: list[str], unblock: list[str]) -> dict[str, str]:
    """What is wrong with a what-if question, by field; the page and the API both ask here."""
    if not (block or unblock):
        return {"block": "Name at least one node to block or unblock."}
    known = set(Node.objects.filter(slug__in=[*block, *unblock]).values_list("slug", flat=True))
    for field, slugs in (("block", block), ("unblock", unblock)):
        unknown = sorted(set(slugs) - known)
        if unknown:
            return {field: f"No such node: {', '.join(unknown)}."}
    both = sorted(set(block) & set(unblock))
    if both:
        return {"unblock": f"Cannot both block and unblock: {', '.join(both)}."}
    return {}


def single_points_of_failure() -> list[impact.SinglePointOfFailure]:
    """The engine's single points of failure of the stored result, computed once per result
    (one cache for the page and the API)."""
    state = impact_state()
    return result_cache.get_or_make(
        ("spof", state.version, state.structure, state.computed_at),
        lambda: list(impact.single_points_of_failure(current_result())),
    )


def whatif_summary(*, block: list[str], unblock: list[str]) -> dict[str, Any]:
    """What would change if `block` failed and `unblock` were fixed, with names and values."""
    result = impact.what_if(current_result(), block=block, unblock=unblock)
    node_changes = {c.item: c for c in result.nodes}
    named = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=[*node_changes, *block, *unblock]).values(
            "slug", "name", "kind", *person_fields("owner"), "team__name"
        )
    }
    objective_changes = {c.item: c for c in result.objectives}
    objectives = {
        row["key"]: row
        for row in Objective.objects.filter(key__in=list(objective_changes)).values(
            "key", "title", "value_at_stake", *person_fields("owner")
        )
    }

    def change(c: impact.StateChange, row: Mapping[str, Any]) -> dict[str, Any]:
        return dict(row) | {
            "from_state": c.from_state.label,
            "to_state": c.to_state.label,
            "from": State(c.from_state.label).label,
            "to": State(c.to_state.label).label,
        }

    capabilities = [
        change(c, named.get(c.item, {"slug": c.item, "name": c.item})) for c in result.capabilities
    ]
    capability_slugs = {c["slug"] for c in capabilities}
    return {
        "block": [named.get(s, {"slug": s, "name": s}) for s in block],
        "unblock": [named.get(s, {"slug": s, "name": s}) for s in unblock],
        "objectives": [
            change(c, objectives.get(c.item, {"key": c.item, "title": c.item}))
            for c in result.objectives
        ],
        "capabilities": capabilities,
        "other_nodes": [
            change(c, named.get(c.item, {"slug": c.item, "name": c.item}))
            for c in result.nodes
            if c.item not in capability_slugs
        ],
        "value_at_risk_delta": result.value_at_risk_delta,
    }


def spof_rows() -> list[dict[str, Any]]:
    """Nodes whose failure alone would block objectives that are not blocked now."""
    points = single_points_of_failure()
    nodes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=[p.node for p in points]).values(
            "slug", "name", "kind", "state", *person_fields("owner"), "team__name", *GAP_FIELDS
        )
    }
    titles = dict(
        Objective.objects.filter(key__in={k for p in points for k in p.objectives}).values_list(
            "key", "title"
        )
    )
    return [
        {
            "node": nodes.get(p.node, {"slug": p.node, "name": p.node, "kind": ""})
            | {"kind_label": KIND_LABEL.get(nodes.get(p.node, {}).get("kind", ""), "")}
            | {"gaps": row_gaps(nodes[p.node]) if p.node in nodes else []},
            "objectives": [{"key": k, "title": titles.get(k, k)} for k in p.objectives],
            "value_at_risk": p.value_at_risk,
        }
        for p in points
    ]


# --- Filter choices -------------------------------------------------------------------------


def filter_choices() -> dict[str, Any]:
    return {
        "teams": list(Team.objects.order_by("name").values_list("slug", "name")),
        "periods": list(Period.objects.order_by("-start").values_list("name", flat=True)),
        "kinds": NodeKind.choices,
    }
