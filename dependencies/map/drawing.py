"""The drawable map: the Cytoscape.js elements for a question, item by item or grouped by
team, with one ETag and one cache for every read of the map (pages and API)."""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cataligent.modeling import row_gaps
from cataligent.models import AuditEntry, Team
from cataligent.people import name_of_row, person_fields
from dependencies.choices import NodeKind, State
from dependencies.map.query import (
    KIND_LABEL,
    MAX_DRAWN,
    NO_TEAM,
    NODE_MAP_FIELDS,
    OBJECTIVE_MAP_FIELDS,
    MapFilters,
    T,
    money,
    node_queryset,
    objective_queryset,
    url_maker,
    within_objectives,
)
from dependencies.map.shapes import STATE_ICON, carries, iso, owner_line, reach, worst
from dependencies.models import Edge, ImpactState, Node
from dependencies.recompute.loader import impact_state
from objectives.models import Objective, Requirement

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
            "computed_at": iso(self.computed_at),
            "value_at_risk": str(self.value_at_risk),
            "mode": self.mode,
            "total_items": self.total_items,
            "drawn_items": self.drawn_items,
            "notes": self.notes,
            "elements": {"nodes": self.nodes, "edges": self.edges},
        }


def map_etag(f: MapFilters, state: ImpactState, marker: int, *, shape: str = "mapgraph") -> str:
    """Changes whenever what the map would say for `f` can have changed: the one ETag of
    the map's reads, `shape` telling apart the drawing ("mapgraph") and the API ("map")."""
    params = "&".join(f"{k}={v}" for k, v in sorted(f.query().items()))
    digest = zlib.crc32(params.encode())  # stable across processes, unlike hash()
    return f'"{shape}-{state.version}-{state.structure}-{marker}-{digest:08x}"'


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


result_cache = _ResultCache()


def forget_map_cache() -> None:
    """Drop the cached reads (tests; after restoring a database)."""
    result_cache.clear()


def cached(key: tuple[Any, ...], make: Callable[[], T], *, state: ImpactState, marker: int) -> T:
    """`make()`, or what it returned before for `key` while the stored results hold."""
    return result_cache.get_or_make((*key, *state_key(state, marker)), make)


def change_marker() -> int:
    """Grows with every audited governance change (owner, team, escalation policy, manual
    state, requirements, edges): those change what the map says without changing a state.
    One read of the primary-key index."""
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def state_key(state: ImpactState, marker: int | None) -> tuple[Any, ...]:
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
    return result_cache.get_or_make(
        ("graph", *state_key(state, marker), f, budget), lambda: _map_graph(f, state, budget)
    )


def _map_graph(f: MapFilters, state: ImpactState, budget: int) -> MapGraph:
    """The items to draw for these filters: affected (or all) objectives, the capabilities and
    dependencies beneath them, and always the root causes of what is shown, so that a filter
    never hides *why* something is blocked. Grouped by team beyond `budget` items.
    """
    affected_only = f.view != "all"
    within = within_objectives(f)

    node_qs = node_queryset(f, affected_only=affected_only)
    focus: dict[int, _Light] = {
        pk: _Light(pk, team, s)
        for pk, team, s in node_qs.values_list("id", "team_id", "state").iterator(chunk_size=20000)
        if within is None or pk in within
    }
    # The node-kind filter is about nodes: objectives are left out while it is on.
    objective_qs = (
        Objective.objects.none() if f.kind else objective_queryset(f, affected_only=affected_only)
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
        for pk in reach([pk for pk in shown if pk in affected], affected_adjacency):
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
            *NODE_MAP_FIELDS, *person_fields("owner"), "team__name"
        )
    )


def _objective_rows(ids: Iterable[int]) -> list[dict[str, Any]]:
    return list(
        Objective.objects.filter(id__in=list(ids)).values(
            *OBJECTIVE_MAP_FIELDS, *person_fields("owner"), "team__name"
        )
    )


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
                        "carries": carries(source["root_causes"], target),
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
                    "carries": carries(source["root_causes"], target),
                    "state": target["state"],
                }
            }
        )
    graph.drawn_items = len(nodes) + len(objectives)


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
        "label": f"{first}\n{row['name']}\n{kind} · {owner_line(name_of_row(row))}",
        "owner": name_of_row(row),
        "team": row["team__name"] or "",
        "gaps": row_gaps(row),
        "since": iso(row["blocked_since"]),
        "root_causes": row["root_causes"],
        "panel": url_maker("map-node-panel")(row["slug"]),
        "href": url_maker("node-detail")(row["slug"]),
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
            f"{money(row['value_at_stake'])}/wk · {owner_line(name_of_row(row))}"
        ),
        "owner": name_of_row(row),
        "team": row["team__name"] or "",
        "gaps": row_gaps(row),
        "since": iso(row["blocked_since"]),
        "root_causes": row["root_causes"],
        "value": str(row["value_at_stake"]),
        "panel": url_maker("map-objective-panel")(row["key"]),
        "href": url_maker("objective-detail")(row["key"]),
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
