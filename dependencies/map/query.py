"""The map's question (`MapFilters`, shared by the map form and the API), the querysets it
selects and the small helpers every read of the map shares."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import get_script_prefix, reverse

from cataligent.modeling import GAP_FIELDS
from cataligent.money import format_money
from dependencies.choices import NodeKind, State
from dependencies.map.shapes import reach
from dependencies.models import Edge, Node
from objectives.models import Objective, Requirement

# Drawing more than this many items at once makes a map unreadable (and slow); beyond it
# the map is grouped by team and the user expands the groups they care about.
MAX_DRAWN = 500
NO_TEAM = "_none"
T = TypeVar("T")

# State is shown by colour, shape, icon and text together, so it reads without colour.
KIND_LABEL = dict(NodeKind.choices)

# What every map read takes of a node and of an objective (the drawing and the API payload
# add what each shows besides: owner names, team names, policies).
NODE_MAP_FIELDS = (
    "id",
    "slug",
    "name",
    "kind",
    "state",
    "intrinsic_state",
    "root_causes",
    "blocked_since",
    "manual_state",
    "team__slug",
    *GAP_FIELDS,
)
OBJECTIVE_MAP_FIELDS = (
    "id",
    "key",
    "title",
    "state",
    "declared_status",
    "root_causes",
    "blocked_since",
    "value_at_stake",
    "team__slug",
    *GAP_FIELDS,
)


def money(value: Decimal | float | int | str | None) -> str:
    """Whole currency units with the currency, as on the rest of the site ("$40,000")."""
    return format_money(Decimal(value or 0), settings.CURRENCY)


# --- Filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFilters:
    """What the user asked to see. `view` is "affected" (default) or "all"."""

    view: str = "affected"
    team: str = ""
    objective: str = ""
    period: str = ""
    kind: str = ""
    q: str = ""
    expand: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.team or self.objective or self.period or self.kind or self.q)

    def query(self, **overrides: Any) -> dict[str, str]:
        """The filters as query parameters (empty ones left out)."""
        values = {
            "view": self.view if self.view != "affected" else "",
            "team": self.team,
            "objective": self.objective,
            "period": self.period,
            "kind": self.kind,
            "q": self.q,
            "expand": ",".join(self.expand),
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v}


def objective_queryset(f: MapFilters, *, affected_only: bool) -> QuerySet[Objective]:
    objectives = Objective.objects.all()
    if affected_only:
        objectives = objectives.exclude(state=State.OPERATIONAL)
    if f.team:
        objectives = objectives.filter(team__slug=f.team)
    if f.period:
        objectives = objectives.filter(period__name=f.period)
    if f.objective:
        objectives = objectives.filter(key=f.objective)
    if f.q:
        objectives = objectives.filter(Q(title__icontains=f.q) | Q(key__iexact=f.q))
    return objectives


def node_queryset(f: MapFilters, *, affected_only: bool) -> QuerySet[Node]:
    nodes = Node.objects.all()
    if affected_only:
        nodes = nodes.exclude(state=State.OPERATIONAL)
    if f.team:
        nodes = nodes.filter(team__slug=f.team)
    if f.kind:
        nodes = nodes.filter(kind=f.kind)
    if f.q:
        nodes = nodes.filter(Q(name__icontains=f.q) | Q(slug__icontains=f.q))
    return nodes


def within_objectives(f: MapFilters) -> set[int] | None:
    """Ids of the nodes the objectives picked by `objective`/`period` rest on, or None."""
    if not (f.objective or f.period):
        return None
    required = Requirement.objects.all()
    if f.objective:
        required = required.filter(objective__key=f.objective)
    if f.period:
        required = required.filter(objective__period__name=f.period)
    start = set(required.values_list("node_id", flat=True))
    adjacency: dict[int, list[int]] = defaultdict(list)
    for source, target in Edge.objects.values_list("source_id", "target_id").iterator(
        chunk_size=20000
    ):
        adjacency[source].append(target)
    return reach(start, adjacency)


def url_maker(name: str) -> Any:
    """`reverse(name, args=[x])` for many x at the cost of one reverse (it is slow in loops).
    Slugs and keys need no quoting: they are validated to URL-safe characters."""
    return url_parts(name, get_script_prefix()).format


@functools.cache
def url_parts(name: str, script_prefix: str) -> str:
    marker = "__item__"
    prefix, _, suffix = reverse(name, args=[marker]).partition(marker)
    return (
        prefix.replace("{", "{{").replace("}", "}}")
        + "{}"
        + suffix.replace("{", "{{").replace("}", "}}")
    )
