"""Reads behind the leadership pages: the drawable map, the blocked table, bottlenecks,
the dashboard and an item's side panel.

Everything here reads the stored impact results (DESIGN §2 "State propagation"); nothing
recomputes them, except what-if and single points of failure, which run the pure engine on
the current result. Every function issues a fixed number of queries, whatever the size of
the organisation, so that the pages stay fast on a 50,000-node graph.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import zlib
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from cataligent.audit import history_lines
from cataligent.modeling import GAP_FIELDS, OWNERSHIP_GAP, effective_policy_id, row_gaps
from cataligent.models import AuditEntry, Team
from cataligent.money import format_money
from dependencies import impact
from dependencies.choices import NodeKind, State
from dependencies.graph.escalation_paths import LevelSpec, escalation_path, paths_by_policy
from dependencies.models import Edge, ImpactState, Node, StateTransition
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import current_result
from integrations.models import ACTIVE_CATEGORIES, Connector, Ticket, TicketLink
from objectives.models import DeclaredStatus, Objective, Period, Requirement
from objectives.selectors import update_due_at, update_overview

# Drawing more than this many items at once makes a map unreadable (and slow); beyond it
# the map is grouped by team and the user expands the groups they care about.
MAX_DRAWN = 500
NO_TEAM = "_none"
T = TypeVar("T")
WEEK = dt.timedelta(weeks=1)

STATE_RANK = {State.OPERATIONAL: 0, State.DEGRADED: 1, State.BLOCKED: 2}
# State is shown by colour, shape, icon and text together, so it reads without colour.
STATE_ICON = {State.BLOCKED: "■", State.DEGRADED: "▲", State.OPERATIONAL: "●"}
KIND_LABEL = dict(NodeKind.choices)


def worst(states: Iterable[str]) -> str:
    return max(states, key=lambda s: STATE_RANK.get(s, 0), default=State.OPERATIONAL)


def weeks_since(since: dt.datetime | None, now: dt.datetime) -> Decimal:
    if since is None:
        return Decimal(0)
    return Decimal((now - since) / WEEK).quantize(Decimal("0.0001"))


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


def _objective_queryset(f: MapFilters, *, affected_only: bool) -> QuerySet[Objective]:
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


def _node_queryset(f: MapFilters, *, affected_only: bool) -> QuerySet[Node]:
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


def _within_objectives(f: MapFilters) -> set[int] | None:
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
    return _reach(start, adjacency)


def _reach(start: Iterable[int], adjacency: Mapping[int, Iterable[int]]) -> set[int]:
    seen = set(start)
    queue = deque(seen)
    while queue:
        for target in adjacency.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# --- The drawable map ----------------------------------------------------------------------


@dataclass
class _Light:
    """Just enough of a node to decide what to draw and how to group it."""

    id: int
    team_id: int | None
    state: str


@dataclass
class MapGraph:
    """The map as Cytoscape.js elements, plus what the page says about it."""

    version: int
    structure: int
    mode: str  # "items" (one element per item) or "grouped" (by team)
    computed_at: dt.datetime | None = None
    value_at_risk: Decimal = Decimal(0)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    total_items: int = 0
    drawn_items: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "structure": self.structure,
            "computed_at": _since(self.computed_at),
            "value_at_risk": str(self.value_at_risk),
            "mode": self.mode,
            "total_items": self.total_items,
            "drawn_items": self.drawn_items,
            "notes": self.notes,
            "elements": {"nodes": self.nodes, "edges": self.edges},
        }


def map_etag(f: MapFilters, state: ImpactState, marker: int) -> str:
    """Changes whenever what `map_graph(f)` would return can have changed."""
    params = "&".join(f"{k}={v}" for k, v in sorted(f.query().items()))
    digest = zlib.crc32(params.encode())  # stable across processes, unlike hash()
    return f'"mapgraph-{state.version}-{state.structure}-{marker}-{digest:08x}"'


class _ResultCache:
    """A few recent reads, valid while the stored results they were read from are.

    Keyed by the impact version, the structure counter and `computed_at` (which differs
    after a database is restored or recreated, when the counters may repeat), plus the
    question asked. Many people looking at the same map then cost one read per change.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _ResultCache()


def forget_map_cache() -> None:
    """Drop the cached reads (tests; after restoring a database)."""
    _cache.clear()


def cached(key: tuple[Any, ...], make: Callable[[], T], *, state: ImpactState, marker: int) -> T:
    """`make()`, or what it returned before for `key` while the stored results hold."""
    return _cache.get_or_make((*key, *_state_key(state, marker)), make)


def change_marker() -> int:
    """Grows with every audited governance change (owner, team, escalation policy, manual
    state, requirements, edges): those change what the map says without changing a state.
    One read of the primary-key index."""
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _state_key(state: ImpactState, marker: int | None) -> tuple[Any, ...]:
    marker = change_marker() if marker is None else marker
    return (state.version, state.structure, state.computed_at, marker)


def map_graph(
    f: MapFilters,
    *,
    state: ImpactState | None = None,
    marker: int | None = None,
    budget: int = MAX_DRAWN,
) -> MapGraph:
    """The drawable map for these filters (see `_map_graph`), cached per stored version."""
    state = state or impact_state()
    return _cache.get_or_make(
        ("graph", *_state_key(state, marker), f, budget), lambda: _map_graph(f, state, budget)
    )


def _map_graph(f: MapFilters, state: ImpactState, budget: int) -> MapGraph:
    """The items to draw for these filters: affected (or all) objectives, the capabilities and
    dependencies beneath them, and always the root causes of what is shown, so that a filter
    never hides *why* something is blocked. Grouped by team beyond `budget` items.
    """
    affected_only = f.view != "all"
    within = _within_objectives(f)

    node_qs = _node_queryset(f, affected_only=affected_only)
    focus: dict[int, _Light] = {
        pk: _Light(pk, team, s)
        for pk, team, s in node_qs.values_list("id", "team_id", "state").iterator(chunk_size=20000)
        if within is None or pk in within
    }
    # The node-kind filter is about nodes: objectives are left out while it is on.
    objective_qs = (
        Objective.objects.none() if f.kind else _objective_queryset(f, affected_only=affected_only)
    )
    objective_light = list(objective_qs.values_list("id", "team_id", "state"))
    objective_ids = {pk for pk, _team, _state in objective_light}

    requirements = list(
        Requirement.objects.filter(objective_id__in=objective_qs.values("id")).values_list(
            "objective_id", "node_id", "node__team_id", "node__state", "criticality"
        )
    )
    shown = dict(focus)
    if f.narrowed:
        # What the shown objectives require, and what blocks anything shown.
        for _objective, node, team, s in (r[:4] for r in requirements):
            if not affected_only or s != State.OPERATIONAL:
                shown.setdefault(node, _Light(node, team, s))
        affected = {
            pk: _Light(pk, team, s)
            for pk, team, s in Node.objects.exclude(state=State.OPERATIONAL).values_list(
                "id", "team_id", "state"
            )
        }
        affected_adjacency: dict[int, list[int]] = defaultdict(list)
        for source, target in (
            Edge.objects.exclude(source__state=State.OPERATIONAL)
            .exclude(target__state=State.OPERATIONAL)
            .values_list("source_id", "target_id")
        ):
            affected_adjacency[source].append(target)
        for pk in _reach([pk for pk in shown if pk in affected], affected_adjacency):
            shown.setdefault(pk, affected[pk])

    graph = MapGraph(
        version=state.version,
        structure=state.structure,
        mode="items",
        computed_at=state.computed_at,
        value_at_risk=state.value_at_risk,
    )
    graph.total_items = len(shown) + len(objective_ids)
    if graph.total_items <= budget:
        _draw_items(graph, set(shown), objective_ids, requirements)
    else:
        _draw_grouped(graph, f, shown, objective_light, requirements, budget)
    return graph


def _node_rows(ids: Iterable[int]) -> list[dict[str, Any]]:
    return list(
        Node.objects.filter(id__in=list(ids)).values(
            "id",
            "slug",
            "name",
            "kind",
            "state",
            "intrinsic_state",
            "root_causes",
            "blocked_since",
            "manual_state",
            "owner__username",
            "team__slug",
            "team__name",
            *GAP_FIELDS,
        )
    )


def _objective_rows(ids: Iterable[int]) -> list[dict[str, Any]]:
    return list(
        Objective.objects.filter(id__in=list(ids)).values(
            "id",
            "key",
            "title",
            "state",
            "declared_status",
            "root_causes",
            "blocked_since",
            "value_at_stake",
            "owner__username",
            "team__slug",
            "team__name",
            *GAP_FIELDS,
        )
    )


def _carries(source_causes: Iterable[str], target: Mapping[str, Any]) -> bool:
    """Whether a bad state flows along this edge: the source shares a root cause with
    the target (or has the target itself as a root cause)."""
    causes = set(source_causes)
    if not causes:
        return False
    return target.get("slug") in causes or bool(causes & set(target["root_causes"]))


def _draw_items(
    graph: MapGraph,
    node_ids: set[int],
    objective_ids: set[int],
    requirements: list[tuple[Any, ...]],
) -> None:
    nodes = {row["id"]: row for row in _node_rows(node_ids)}
    objectives = {row["id"]: row for row in _objective_rows(objective_ids)}
    for row in sorted(objectives.values(), key=lambda r: r["key"]):
        graph.nodes.append({"data": _objective_element(row)})
    for row in sorted(nodes.values(), key=lambda r: r["slug"]):
        graph.nodes.append({"data": _node_element(row)})
    for objective_id, node_id, _team, _state, criticality in requirements:
        if objective_id in objectives and node_id in nodes:
            source, target = objectives[objective_id], nodes[node_id]
            graph.edges.append(
                {
                    "data": {
                        "id": f"r:{source['key']}:{target['slug']}",
                        "source": f"o:{source['key']}",
                        "target": f"n:{target['slug']}",
                        "criticality": criticality,
                        "carries": _carries(source["root_causes"], target),
                        "state": target["state"],
                    }
                }
            )
    edge_rows = Edge.objects.filter(source_id__in=list(nodes), target_id__in=list(nodes))
    for source_id, target_id, criticality in edge_rows.values_list(
        "source_id", "target_id", "criticality"
    ):
        source, target = nodes[source_id], nodes[target_id]
        graph.edges.append(
            {
                "data": {
                    "id": f"e:{source['slug']}:{target['slug']}",
                    "source": f"n:{source['slug']}",
                    "target": f"n:{target['slug']}",
                    "criticality": criticality,
                    "carries": _carries(source["root_causes"], target),
                    "state": target["state"],
                }
            }
        )
    graph.drawn_items = len(nodes) + len(objectives)


def _owner_line(row: Mapping[str, Any]) -> str:
    return f"owner {row['owner__username']}" if row["owner__username"] else "⚑ NO OWNER"


def _since(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _node_element(row: Mapping[str, Any]) -> dict[str, Any]:
    s = row["state"]
    root = row["intrinsic_state"] != State.OPERATIONAL
    kind = "Capability" if row["kind"] == NodeKind.CAPABILITY else KIND_LABEL.get(row["kind"], "")
    first = f"{STATE_ICON[s]} {State(s).label.upper()}" + (" · ROOT CAUSE" if root else "")
    return {
        "id": f"n:{row['slug']}",
        "slug": row["slug"],
        "type": "capability" if row["kind"] == NodeKind.CAPABILITY else "dependency",
        "kind": row["kind"],
        "name": row["name"],
        "state": s,
        "root": root,
        "label": f"{first}\n{row['name']}\n{kind} · {_owner_line(row)}",
        "owner": row["owner__username"] or "",
        "team": row["team__name"] or "",
        "gaps": row_gaps(row),
        "since": _since(row["blocked_since"]),
        "root_causes": row["root_causes"],
        "panel": _url_maker("map-node-panel")(row["slug"]),
        "href": _url_maker("node-detail")(row["slug"]),
    }


def _objective_element(row: Mapping[str, Any]) -> dict[str, Any]:
    s = row["state"]
    return {
        "id": f"o:{row['key']}",
        "key": row["key"],
        "type": "objective",
        "kind": "objective",
        "name": row["title"],
        "state": s,
        "root": False,
        "label": (
            f"{STATE_ICON[s]} {State(s).label.upper()} · {row['key']}\n{row['title']}\n"
            f"{money(row['value_at_stake'])}/wk · {_owner_line(row)}"
        ),
        "owner": row["owner__username"] or "",
        "team": row["team__name"] or "",
        "gaps": row_gaps(row),
        "since": _since(row["blocked_since"]),
        "root_causes": row["root_causes"],
        "value": str(row["value_at_stake"]),
        "panel": _url_maker("map-objective-panel")(row["key"]),
        "href": _url_maker("objective-detail")(row["key"]),
    }


def _draw_grouped(
    graph: MapGraph,
    f: MapFilters,
    shown: dict[int, _Light],
    objective_light: list[tuple[int, int | None, str]],
    requirements: list[tuple[Any, ...]],
    budget: int,
) -> None:
    graph.mode = "grouped"
    team_slugs = dict(Team.objects.values_list("id", "slug"))
    team_names = dict(Team.objects.values_list("slug", "name"))

    def slug_of(team_id: int | None) -> str:
        return team_slugs.get(team_id, NO_TEAM) if team_id is not None else NO_TEAM

    members: dict[str, list[_Light]] = defaultdict(list)
    for light in shown.values():
        members[slug_of(light.team_id)].append(light)
    objective_members: dict[str, list[tuple[int, int | None, str]]] = defaultdict(list)
    for row in objective_light:
        objective_members[slug_of(row[1])].append(row)

    # Expanded teams are drawn item by item while they fit in the budget.
    expanded: set[str] = set()
    room = budget
    for slug in f.expand:
        size = len(members.get(slug, ())) + len(objective_members.get(slug, ()))
        if size == 0:
            continue
        if size > room:
            graph.notes.append(
                f"{team_names.get(slug, 'No team')} has {size} items: too many to draw one by "
                "one. Narrow the map with the filters (team, kind, search) first."
            )
            continue
        expanded.add(slug)
        room -= size

    node_ids = {light.id for slug in expanded for light in members[slug]}
    objective_ids = {row[0] for slug in expanded for row in objective_members[slug]}
    nodes = {row["id"]: row for row in _node_rows(node_ids)}
    objectives = {row["id"]: row for row in _objective_rows(objective_ids)}
    for row in sorted(objectives.values(), key=lambda r: r["key"]):
        graph.nodes.append({"data": _objective_element(row)})
    for row in sorted(nodes.values(), key=lambda r: r["slug"]):
        graph.nodes.append({"data": _node_element(row)})

    def group_element(slug: str, states: list[str], objectives_group: bool) -> dict[str, Any]:
        counts = Counter(states)
        s = worst(states)
        name = team_names.get(slug, "No owning team")
        what = "objectives" if objectives_group else "capabilities and dependencies"
        return {
            "id": f"{'go' if objectives_group else 'gn'}:{slug}",
            "type": "group",
            "kind": "group",
            "team_slug": slug,
            "name": f"{name}: {len(states)} {what}",
            "state": s,
            "root": False,
            "label": (
                f"{STATE_ICON[State(s)]} {State(s).label.upper()} · TEAM\n{name}\n"
                f"{len(states)} {what} · {counts[State.BLOCKED]} blocked · "
                f"{counts[State.DEGRADED]} degraded"
            ),
            "count": len(states),
            "blocked": counts[State.BLOCKED],
            "degraded": counts[State.DEGRADED],
        }

    element_of: dict[int, str] = {}
    for slug, lights in members.items():
        if slug in expanded:
            for light in lights:
                element_of[light.id] = f"n:{nodes[light.id]['slug']}"
        else:
            graph.nodes.append({"data": group_element(slug, [x.state for x in lights], False)})
            for light in lights:
                element_of[light.id] = f"gn:{slug}"
    objective_element_of: dict[int, str] = {}
    for slug, rows in objective_members.items():
        if slug in expanded:
            for row in rows:
                objective_element_of[row[0]] = f"o:{objectives[row[0]]['key']}"
        else:
            graph.nodes.append({"data": group_element(slug, [r[2] for r in rows], True)})
            for row in rows:
                objective_element_of[row[0]] = f"go:{slug}"

    links: Counter[tuple[str, str]] = Counter()
    bad: set[tuple[str, str]] = set()
    for objective_id, node_id, _team, s, _criticality in requirements:
        if objective_id in objective_element_of and node_id in element_of:
            pair = (objective_element_of[objective_id], element_of[node_id])
            links[pair] += 1
            if s != State.OPERATIONAL:
                bad.add(pair)
    for source, target in Edge.objects.values_list("source_id", "target_id").iterator(
        chunk_size=20000
    ):
        if source in element_of and target in element_of:
            pair = (element_of[source], element_of[target])
            if pair[0] != pair[1]:
                links[pair] += 1
                if shown[source].state != State.OPERATIONAL and shown[target].state != (
                    State.OPERATIONAL
                ):
                    bad.add(pair)
    for (source, target), count in sorted(links.items()):
        graph.edges.append(
            {
                "data": {
                    "id": f"x:{source}:{target}",
                    "source": source,
                    "target": target,
                    "criticality": "hard",
                    "carries": (source, target) in bad,
                    "count": count,
                    "label": str(count) if count > 1 else "",
                    # To or from a group: shown when one end is pointed at, not laid out
                    # (dozens of teams all depend on each other; drawn at once it is a hairball).
                    "aux": source.startswith("g") or target.startswith("g"),
                    "state": State.BLOCKED if (source, target) in bad else State.OPERATIONAL,
                }
            }
        )
    graph.drawn_items = len(nodes) + len(objectives)
    graph.notes.insert(
        0,
        f"{graph.total_items} items are more than the {budget} the map draws at once, so they "
        "are grouped by owning team. Select a group to expand it, or narrow the map with the "
        "filters.",
    )


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


def _url_maker(name: str) -> Any:
    """`reverse(name, args=[x])` for many x at the cost of one reverse (it is slow in loops).
    Slugs and keys need no quoting: they are validated to URL-safe characters."""
    return _url_parts(name, get_script_prefix()).format


@functools.cache
def _url_parts(name: str, script_prefix: str) -> str:
    marker = "__item__"
    prefix, _, suffix = reverse(name, args=[marker]).partition(marker)
    return (
        prefix.replace("{", "{{").replace("}", "}}")
        + "{}"
        + suffix.replace("{", "{{").replace("}", "}}")
    )


def blocked_rows(
    f: MapFilters, *, state: ImpactState | None = None, marker: int | None = None
) -> list[BlockedRow]:
    """Affected objectives and capabilities (or nodes of the chosen kind), worst and most
    valuable first, each with its root causes, their owners and the value at risk."""
    state = state or impact_state()
    key = ("rows", *_state_key(state, marker), f.team, f.objective, f.period, f.kind, f.q)
    return _cache.get_or_make(key, lambda: _blocked_rows(f))


def _blocked_rows(f: MapFilters) -> list[BlockedRow]:
    kind = f.kind or NodeKind.CAPABILITY
    item_filters = MapFilters(team=f.team, objective=f.objective, period=f.period, q=f.q)
    objectives = (
        []
        if f.kind
        else list(
            _objective_queryset(item_filters, affected_only=True).values(
                "key", "title", "state", "root_causes", "blocked_since", "value_at_stake"
            )
        )
    )
    node_qs = _node_queryset(MapFilters(team=f.team, q=f.q), affected_only=True).filter(kind=kind)
    within = _within_objectives(item_filters)
    if within is not None:
        node_qs = node_qs.filter(id__in=list(within))
    nodes = list(
        node_qs.values("id", "slug", "name", "kind", "state", "root_causes", "blocked_since")
    )

    # A capability's value at risk: what the blocked objectives that need it stand to lose.
    value: dict[int, Decimal] = defaultdict(Decimal)
    for node_id, objective_value in Requirement.objects.filter(
        node_id__in=[n["id"] for n in nodes], objective__state=State.BLOCKED
    ).values_list("node_id", "objective__value_at_stake"):
        value[node_id] += objective_value

    cause_slugs = {c for row in [*objectives, *nodes] for c in row["root_causes"]}
    causes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=cause_slugs).values(
            "slug", "name", "kind", "intrinsic_state", "owner__username", "team__name"
        )
    }

    node_panel_url, node_detail_url = _url_maker("map-node-panel"), _url_maker("node-detail")
    cause_info = {
        slug: {
            "slug": slug,
            "name": causes[slug]["name"] if slug in causes else slug,
            "kind": KIND_LABEL.get(causes.get(slug, {}).get("kind", ""), ""),
            "state": causes[slug]["intrinsic_state"] if slug in causes else "",
            "owner": causes[slug]["owner__username"] if slug in causes else None,
            "team": causes[slug]["team__name"] if slug in causes else None,
            "panel_url": node_panel_url(slug),
            "detail_url": node_detail_url(slug),
        }
        for slug in cause_slugs
    }

    def cause_list(slugs: list[str]) -> list[dict[str, Any]]:
        return [cause_info[slug] for slug in slugs]

    objective_panel_url = _url_maker("map-objective-panel")
    objective_detail_url = _url_maker("objective-detail")
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


def bottleneck_rows(
    *, team: str = "", q: str = "", now: dt.datetime | None = None
) -> list[BottleneckRow]:
    """The ranking of DESIGN §2.7 as stored by the last recompute, with who owns each root
    cause, its escalation path, open tickets and what it has cost so far."""
    now = now or timezone.now()
    ranking = impact_state().bottlenecks
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
            "owner__username",
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

    node_url, objective_url = _url_maker("node-detail"), _url_maker("objective-detail")
    panel_url = _url_maker("map-node-panel")
    rows = []
    for rank, b in enumerate(ranking, start=1):
        node = nodes[b["node"]] | {"panel_url": panel_url(b["node"])}
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


# --- Dashboard -----------------------------------------------------------------------------


def dashboard_summary(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    state = impact_state()
    objective_states = Counter(
        dict(
            Objective.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
        )
    )
    capability_states = Counter(
        dict(
            Node.objects.filter(kind=NodeKind.CAPABILITY)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
    )
    blocked_objectives = list(
        Objective.objects.filter(state=State.BLOCKED).values_list("value_at_stake", "blocked_since")
    )
    accumulated = sum(
        (value * weeks_since(since, now) for value, since in blocked_objectives), Decimal(0)
    )
    longest_objectives = list(
        Objective.objects.filter(state=State.BLOCKED, blocked_since__isnull=False)
        .order_by("blocked_since")
        .values("key", "title", "blocked_since", "value_at_stake", "owner__username")[:5]
    )
    longest_nodes = list(
        Node.objects.filter(state=State.BLOCKED, blocked_since__isnull=False)
        .order_by("blocked_since", "slug")
        .values("slug", "name", "kind", "blocked_since", "owner__username")[:5]
    )
    gaps = {
        "nodes": Node.objects.filter(OWNERSHIP_GAP).count(),
        "objectives": Objective.objects.filter(OWNERSHIP_GAP).count(),
        "unowned_nodes": Node.objects.filter(owner__isnull=True).count(),
        "blocked_unowned": Node.objects.filter(
            owner__isnull=True, state=State.BLOCKED, intrinsic_state__in=[State.BLOCKED]
        ).count(),
    }
    connectors = [
        {
            "name": c.name,
            "kind": c.get_kind_display(),
            "health": c.health,
            "last_success_at": c.last_success_at,
        }
        for c in Connector.objects.order_by("name").only(
            "name",
            "kind",
            "enabled",
            "last_error",
            "last_success_at",
            "last_attempt_at",
            "poll_interval",
        )
    ]
    updates = update_overview(now=now)
    overdue = updates["overdue"]
    return {
        "escalations": open_escalations(),
        "state": state,
        "value_at_risk": state.value_at_risk,
        "accumulated": accumulated.quantize(Decimal(1)),
        "objectives": {s: objective_states.get(s, 0) for s in State.values},
        "objectives_total": sum(objective_states.values()),
        "capabilities": {s: capability_states.get(s, 0) for s in State.values},
        "capabilities_total": sum(capability_states.values()),
        "longest_objectives": longest_objectives,
        "longest_nodes": longest_nodes,
        "gaps": gaps,
        "overdue": [
            {
                "key": o.key,
                "title": o.title,
                "due": update_due_at(o),
                "cadence": o.update_cadence_days,
            }
            for o in overdue[:5]
        ],
        "overdue_count": len(overdue),
        "never_updated": updates["never_updated"],
        "connectors": connectors,
        "connector_health": Counter(c["health"] for c in connectors),
        "bottleneck": _top_bottleneck(state.bottlenecks),
    }


def open_escalations() -> dict[str, int] | None:
    """Escalations not resolved yet, by status; None where escalations are not recorded
    (the escalation engine is a separate part, looked up rather than imported)."""
    try:
        escalation = apps.get_model("dependencies", "Escalation")
    except LookupError:
        return None
    counts = dict(
        escalation.objects.exclude(status="resolved")
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"open": counts.get("open", 0), "acknowledged": counts.get("acknowledged", 0)}


def _top_bottleneck(ranking: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not ranking:
        return None
    top = ranking[0]
    node = Node.objects.filter(slug=top["node"]).values("name", "owner__username").first() or {}
    return top | {"name": node.get("name", top["node"]), "owner": node.get("owner__username")}


# --- Side panel ----------------------------------------------------------------------------


def _tickets(links: QuerySet[TicketLink]) -> list[Ticket]:
    # Blocking first, then the rest of the active ones, then the latest of the others.
    active_first = Case(
        When(ticket__status_category__in=ACTIVE_CATEGORIES, then=Value(0)), default=Value(1)
    )
    rows = links.select_related("ticket__connector").order_by(
        "-ticket__is_blocking", active_first, "-ticket__updated_at", "ticket_id"
    )
    tickets = []
    for link in rows[:50]:
        ticket = link.ticket
        ticket.link_via = link.get_via_display()  # type: ignore[attr-defined]
        tickets.append(ticket)
    return tickets


def _named(slugs: Iterable[str]) -> list[dict[str, Any]]:
    slugs = list(slugs)
    rows = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=slugs).values(
            "slug",
            "name",
            "kind",
            "state",
            "intrinsic_state",
            "manual_state",
            "manual_reason",
            "blocked_since",
            "owner__username",
            "team__name",
            *GAP_FIELDS,
        )
    }
    return [
        rows[s] | {"kind_label": KIND_LABEL.get(rows[s]["kind"], ""), "gaps": row_gaps(rows[s])}
        for s in slugs
        if s in rows
    ]


def node_panel(node: Node, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the side panel says about a node, in a fixed number of queries."""
    now = now or timezone.now()
    depends_on = list(
        node.dependency_edges.select_related("target", "target__owner").order_by(
            "redundancy_group", "target__name"
        )
    )
    needed_by = list(
        node.dependent_edges.select_related("source", "source__owner").order_by("source__name")
    )
    required_by = list(node.required_by.select_related("objective").order_by("objective__key"))
    path = escalation_path(node)
    levels = list(path.levels)
    blocking = TicketLink.objects.filter(node=node, ticket__is_blocking=True).count()
    return {
        "kind": "node",
        "item": node,
        # "Blocked by" lists what lies beneath; its own tickets or override are told apart.
        "root_causes": _named(s for s in node.root_causes if s != node.slug),
        "depends_on": depends_on,
        "needed_by": needed_by,
        "required_by": required_by,
        "levels": levels,
        "path": path,
        "escalation": escalation_due(levels, node.blocked_since, now),
        "tickets": _tickets(TicketLink.objects.filter(node=node)),
        "blocking_ticket_count": blocking,
        "transitions": list(StateTransition.objects.filter(node=node)[:20]),
        "history": history_lines(node, limit=20),
        "weeks_blocked": weeks_since(node.blocked_since, now),
    }


def objective_panel(objective: Objective, *, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    requirements = list(
        objective.requirements.select_related("node", "node__owner", "node__team").order_by(
            "node__name"
        )
    )
    path = escalation_path(objective)
    levels = list(path.levels)
    weeks = weeks_since(objective.blocked_since, now)
    return {
        "kind": "objective",
        "item": objective,
        "root_causes": _named(objective.root_causes),
        "requirements": requirements,
        "levels": levels,
        "path": path,
        "escalation": escalation_due(levels, objective.blocked_since, now),
        "tickets": _tickets(TicketLink.objects.filter(objective=objective)),
        "transitions": list(StateTransition.objects.filter(objective=objective)[:20]),
        "history": history_lines(objective, limit=20),
        "weeks_blocked": weeks,
        "value_lost": (objective.value_at_stake * weeks).quantize(Decimal(1)),
        "declared_mismatch": declared_mismatch(objective.declared_status, objective.state),
    }


def declared_mismatch(declared: str, computed: str) -> str:
    """A "green" declaration over a bad graph: the green-red disconnect the product exists for."""
    if declared in (DeclaredStatus.ON_TRACK, DeclaredStatus.DONE) and computed == State.BLOCKED:
        return f"Declared {DeclaredStatus(declared).label.lower()}, but the graph says blocked."
    if declared == DeclaredStatus.ON_TRACK and computed == State.DEGRADED:
        return "Declared on track, but the graph says degraded."
    return ""


# --- What-if and single points of failure --------------------------------------------------


def whatif_summary(*, block: list[str], unblock: list[str]) -> dict[str, Any]:
    """What would change if `block` failed and `unblock` were fixed, with names and values."""
    result = impact.what_if(current_result(), block=block, unblock=unblock)
    node_changes = {c.item: c for c in result.nodes}
    named = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=[*node_changes, *block, *unblock]).values(
            "slug", "name", "kind", "owner__username", "team__name"
        )
    }
    objective_changes = {c.item: c for c in result.objectives}
    objectives = {
        row["key"]: row
        for row in Objective.objects.filter(key__in=list(objective_changes)).values(
            "key", "title", "value_at_stake", "owner__username"
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
    points = impact.single_points_of_failure(current_result())
    nodes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=[p.node for p in points]).values(
            "slug", "name", "kind", "state", "owner__username", "team__name", *GAP_FIELDS
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
