"""The drawable map: the Cytoscape.js elements for a question, item by item or grouped by
team, with one ETag and one cache for every read of the map (pages and API)."""

from __future__ import annotations

import datetime as dt
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cataligent.modeling import row_gaps
from cataligent.models import AuditEntry
from cataligent.people import name_of_row, person_fields
from cataligent.snapshot import one_snapshot
from dependencies.choices import NodeKind, State
from dependencies.map import grouped
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
from dependencies.map.result_cache import ResultCache
from dependencies.map.shapes import STATE_ICON, carries, iso, owner_line, reach
from dependencies.models import Edge, ImpactState, Node, TeamCounts
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


result_cache = ResultCache()


def forget_map_cache() -> None:
    """Drop the cached reads (tests; after restoring a database)."""
    result_cache.clear()


def cached(
    key: tuple[Any, ...],
    make: Callable[[], T],
    *,
    state: ImpactState,
    marker: int,
    shared: bool = False,
) -> T:
    """`make()`, or what it returned before for `key` while the stored results hold;
    `shared`: also with the other web processes (dependencies/map/result_cache.py), once
    results have been stored."""
    return result_cache.get_or_make(
        (*key, *state_key(state, marker)), make, shared=shared and state.computed_at is not None
    )


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
        ("graph", *state_key(state, marker), f, budget),
        lambda: _map_graph(f, state, change_marker() if marker is None else marker, budget),
        shared=state.computed_at is not None,
    )


def _map_graph(f: MapFilters, state: ImpactState, marker: int, budget: int) -> MapGraph:
    """The items to draw for these filters: affected (or all) objectives, the capabilities and
    dependencies beneath them, and always the root causes of what is shown, so that a filter
    never hides *why* something is blocked. Grouped by team beyond `budget` items.
    """
    # One snapshot: a recompute storing meanwhile cannot mix two versions in one map.
    with one_snapshot():
        affected_only = f.view != "all"
        node_qs = node_queryset(f, affected_only=affected_only)
        # The node-kind filter is about nodes: objectives are left out while it is on.
        objective_qs = (
            Objective.objects.none()
            if f.kind
            else objective_queryset(f, affected_only=affected_only)
        )
        objective_light = list(objective_qs.values_list("id", "team_id", "state"))
        objective_ids = {pk for pk, _team, _state in objective_light}
        requirements = list(
            Requirement.objects.filter(objective_id__in=objective_qs.values("id")).values_list(
                "objective_id", "node_id", "node__team_id", "node__state", "criticality"
            )
        )
        graph = MapGraph(
            version=state.version,
            structure=state.structure,
            mode="items",
            computed_at=state.computed_at,
            value_at_risk=state.value_at_risk,
        )
        if not f.narrowed:
            # The whole map: counted first; grouped by team in SQL when it is too large to draw
            # item by item (at 250,000 nodes the affected view alone has over 100,000), from the
            # counts the recompute stored with these results when it did.
            counts = grouped.stored_counts(state, marker)
            graph.total_items = len(objective_ids) + (
                node_qs.count()
                if counts is None
                else grouped.nodes_counted(counts, affected_only=affected_only)
            )
            if graph.total_items > budget:
                _draw_grouped(
                    graph, f, objective_light, requirements, budget, whole=node_qs, stored=counts
                )
                return graph
        shown = _shown(f, node_qs, requirements, affected_only=affected_only)
        graph.total_items = len(shown) + len(objective_ids)
        if graph.total_items <= budget:
            _draw_items(graph, set(shown), objective_ids, requirements)
        else:
            _draw_grouped(graph, f, objective_light, requirements, budget, shown=shown)
        return graph


def _shown(
    f: MapFilters, node_qs: Any, requirements: list[tuple[Any, ...]], *, affected_only: bool
) -> dict[int, _Light]:
    """The nodes the filters chose, plus (when narrowed) what the shown objectives require
    and what blocks anything shown."""
    within = within_objectives(f)
    shown: dict[int, _Light] = {
        pk: _Light(pk, team, s)
        for pk, team, s in node_qs.values_list("id", "team_id", "state").iterator(chunk_size=20000)
        if within is None or pk in within
    }
    if f.narrowed:
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
            Edge.objects.order_by()
            .exclude(source__state=State.OPERATIONAL)
            .exclude(target__state=State.OPERATIONAL)
            .values_list("source_id", "target_id")
        ):
            affected_adjacency[source].append(target)
        for pk in reach([pk for pk in shown if pk in affected], affected_adjacency):
            shown.setdefault(pk, affected[pk])
    return shown


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
    objective_light: list[tuple[int, int | None, str]],
    requirements: list[tuple[Any, ...]],
    budget: int,
    *,
    whole: Any = None,
    stored: TeamCounts | None = None,
    shown: dict[int, _Light] | None = None,
) -> None:
    """Grouped by owning team (dependencies/map/grouped.py): from the `whole` map's
    queryset, with the counts `stored` with the results or counted in SQL, or from the
    nodes a filter chose (`shown`)."""
    graph.mode = "grouped"
    affected_only = f.view != "all"
    slugs, team_names = grouped.team_slugs()
    members: dict[str, list[int]] = {}
    if stored is not None:
        states = grouped.team_states_stored(stored, slugs, affected_only=affected_only)
    elif shown is None:
        states = grouped.team_states_in_sql(whole, slugs)
    else:
        states, members = grouped.team_states_in_python(
            ((x.id, x.team_id, x.state) for x in shown.values()), slugs
        )
    objective_members: dict[str, list[tuple[int, int | None, str]]] = defaultdict(list)
    for row in objective_light:
        objective_members[grouped.slug_of(slugs, row[1])].append(row)

    # Expanded teams are drawn item by item while they fit in the budget.
    expanded: set[str] = set()
    room = budget
    for slug in f.expand:
        size = sum(states.get(slug, Counter()).values()) + len(objective_members.get(slug, ()))
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

    if shown is None:
        node_ids = grouped.team_members_in_sql(whole, slugs, expanded & set(states))
    else:
        node_ids = {pk for slug in expanded for pk in members.get(slug, ())}
    objective_ids = {row[0] for slug in expanded for row in objective_members[slug]}
    nodes = {row["id"]: row for row in _node_rows(node_ids)}
    objectives = {row["id"]: row for row in _objective_rows(objective_ids)}
    for row in sorted(objectives.values(), key=lambda r: r["key"]):
        graph.nodes.append({"data": _objective_element(row)})
    for row in sorted(nodes.values(), key=lambda r: r["slug"]):
        graph.nodes.append({"data": _node_element(row)})
    for slug in sorted(states):
        if slug not in expanded:
            element = grouped.group_element(slug, states[slug], team_names, objectives=False)
            graph.nodes.append({"data": element})
    objective_element_of: dict[int, str] = {}
    for slug in sorted(objective_members):
        rows = objective_members[slug]
        if slug in expanded:
            for row in rows:
                objective_element_of[row[0]] = f"o:{objectives[row[0]]['key']}"
        else:
            counts = Counter(r[2] for r in rows)
            element = grouped.group_element(slug, counts, team_names, objectives=True)
            graph.nodes.append({"data": element})
            for row in rows:
                objective_element_of[row[0]] = f"go:{slug}"

    def element_of(node_id: int, team_id: int | None) -> str:
        if node_id in nodes:
            return f"n:{nodes[node_id]['slug']}"
        return f"gn:{grouped.slug_of(slugs, team_id)}"

    links: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, False])
    for objective_id, node_id, team_id, s, _criticality in requirements:
        node_shown = (
            (not affected_only or s != State.OPERATIONAL) if shown is None else node_id in shown
        )
        if objective_id in objective_element_of and node_shown:
            link = links[(objective_element_of[objective_id], element_of(node_id, team_id))]
            link[0] += 1
            link[1] = link[1] or s != State.OPERATIONAL
    if shown is None:
        expanded_ids = [pk for pk, slug in slugs.items() if slug in expanded]
        between: grouped.Links = {}
        if stored is not None:
            between = grouped.links_stored(
                stored, affected_only=affected_only, slugs=slugs, expanded=expanded
            )
        if stored is None or expanded:
            between |= grouped.links_in_sql(
                affected_only=affected_only,
                slugs=slugs,
                expanded_team_ids=expanded_ids,
                expanded_no_team=NO_TEAM in expanded,
                element_of_node=lambda pk: f"n:{nodes[pk]['slug']}",
                expanded_only=stored is not None,
            )
    else:
        between = grouped.links_in_python(
            {pk: element_of(pk, x.team_id) for pk, x in shown.items()},
            {pk: x.state for pk, x in shown.items()},
        )
    for pair, (count, bad) in between.items():
        links[pair][0] += count
        links[pair][1] = links[pair][1] or bad
    for (source, target), (count, bad) in sorted(links.items()):
        graph.edges.append(grouped.link_element(source, target, count, bad))
    graph.drawn_items = len(nodes) + len(objectives)
    graph.notes.insert(
        0,
        f"{graph.total_items} items are more than the {budget} the map draws at once, so they "
        "are grouped by owning team. Select a group to expand it, or narrow the map with the "
        "filters.",
    )
