"""Ownership gaps: nodes and objectives without an owner, an owning team or an escalation
policy, most valuable first — a gap on the critical path before a gap on a side road."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from cataligent.modeling import MISSING, OWNERSHIP_GAP
from cataligent.permissions import check_claim_and_change
from dependencies import impact
from dependencies.graph.services import node_update
from dependencies.models import Node
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import current_result
from objectives.models import Objective
from objectives.services import objective_update

_exposure_cache: tuple[int, int, dict[str, Decimal]] | None = None


def value_exposed_now() -> dict[str, Decimal]:
    """Value at stake resting on each node, cached while the graph's shape is unchanged."""
    global _exposure_cache
    state = impact_state()
    key = (state.structure, state.version)
    if _exposure_cache is None or _exposure_cache[:2] != key:
        _exposure_cache = (*key, impact.value_exposed(current_result().graph))
    return _exposure_cache[2]


@dataclass
class Gap:
    item: Node | Objective
    is_objective: bool
    missing: list[str]
    value_exposed: Decimal

    @property
    def dom_id(self) -> str:
        return f"gap-{'objective' if self.is_objective else 'node'}-{self.item.pk}"


def ownership_gaps(*, kind: str = "", team: str = "", missing: str = "", q: str = "") -> list[Gap]:
    """Every gap matching the filters, sorted by the value resting on it, then blocked first."""
    nodes = Node.objects.filter(OWNERSHIP_GAP).select_related("owner", "team", "escalation_policy")
    objectives = Objective.objects.filter(OWNERSHIP_GAP).select_related(
        "owner", "team", "escalation_policy"
    )
    if missing in MISSING:
        nodes, objectives = nodes.filter(MISSING[missing]), objectives.filter(MISSING[missing])
    if team == "none":
        nodes, objectives = nodes.filter(team__isnull=True), objectives.filter(team__isnull=True)
    elif team:
        nodes, objectives = nodes.filter(team__slug=team), objectives.filter(team__slug=team)
    if q:
        nodes = nodes.filter(Q(name__icontains=q) | Q(slug__icontains=q))
        objectives = objectives.filter(Q(title__icontains=q) | Q(key__iexact=q))
    gaps: list[Gap] = []
    if kind in ("", "objective"):
        gaps += [Gap(o, True, o.ownership_gaps, o.value_at_stake) for o in objectives]
    if kind != "objective":
        if kind:
            nodes = nodes.filter(kind=kind)
        exposed = value_exposed_now()
        gaps += [Gap(n, False, n.ownership_gaps, exposed.get(n.slug, Decimal(0))) for n in nodes]
    rank = {"blocked": 0, "degraded": 1, "operational": 2}
    gaps.sort(key=lambda g: (-g.value_exposed, rank.get(g.item.state, 3), str(g.item)))
    return gaps


def gap_changes(
    data: Any, *, users: Any, teams: Any, policies: Any
) -> tuple[dict[str, Any], list[str]]:
    """The assignments a form posted ({field: object or None}) and the problems with them."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for field, lookup, label in (
        ("owner", users, "user"),
        ("team", teams, "team"),
        ("escalation_policy", policies, "escalation policy"),
    ):
        value = (data.get(field) or "").strip()
        if not value:
            continue
        found = lookup.get(value)
        if found is None:
            problems.append(f"No {label} {value!r}.")
        else:
            changes[field] = found
    return changes, problems


@dataclass
class GapAssignment:
    done: list[Node | Objective]
    refused: list[str]


def ownership_gaps_assign(
    *, items: Iterable[Node | Objective], changes: Mapping[str, Any], actor: Any
) -> GapAssignment:
    """Give each item the same owner, team and/or escalation policy. Each item is judged and
    audited on its own (cataligent.permissions): a refusal for one leaves the others done."""
    outcome = GapAssignment(done=[], refused=[])
    for item in items:
        wanted = {f: v for f, v in changes.items() if getattr(item, f) != v}
        if wanted:
            try:
                check_claim_and_change(actor, model=type(item), obj=item, data=wanted)
            except PermissionDenied as exc:
                outcome.refused.append(f"{item}: {exc}")
                continue
            if isinstance(item, Node):
                node_update(node=item, changes=wanted, actor=actor)
            else:
                objective_update(objective=item, changes=wanted, actor=actor)
        outcome.done.append(item)
    return outcome
