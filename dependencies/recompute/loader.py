"""The impact engine's loader: the graph and the stored results, from the database.

It reads everything in five queries, whatever the size of the graph (the writer is
`dependencies.recompute.writer`). Nodes and edges come as columns, each an array in
PostgreSQL's binary format (psycopg 3 reads those in C; https://www.psycopg.org/psycopg3/docs/basic/adapt.html#binary-adaptation).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from dependencies import impact
from dependencies.impact import State
from dependencies.models import Edge, ImpactState, IntrinsicChange, Node, StoredBottleneck
from integrations.models import TicketLink
from objectives.models import Objective, Requirement


class StoredRow(NamedTuple):
    """What the database holds for one node or objective (the engine's PreviousState).

    A named tuple: the loader makes one per node, 260,000 at a time.
    """

    pk: int
    state: State
    blocked_since: datetime | None
    root_causes: tuple[str, ...]
    intrinsic_state: State = State.OPERATIONAL


@dataclass
class LoadedGraph:
    graph: impact.DependencyGraph
    nodes: dict[str, StoredRow] = field(default_factory=dict)
    objectives: dict[str, StoredRow] = field(default_factory=dict)


def blocking_node_ids(among: Collection[int] | None = None) -> set[int]:
    """Nodes with at least one blocking linked ticket (one query), of `among` if given."""
    links = TicketLink.objects.filter(node__isnull=False, ticket__is_blocking=True)
    if among is not None:
        links = links.filter(node_id__in=list(among))
    return set(links.values_list("node_id", flat=True).distinct())


def load_intrinsic_states(among: Collection[int] | None = None) -> dict[str, State]:
    """Nodes' intrinsic states: the manual override, else the blocking tickets (2 queries).

    Every node's, or only those whose ids are `among` (the incremental recompute's case).
    """
    if among is not None and not among:
        return {}
    blocking = blocking_node_ids(among)
    if among is None:  # every node: as columns, like the full load
        ids, slugs, manuals = _fetch_columns(Node, ("id", "slug", "manual_state"))
        intrinsic_of = _Parsed(lambda key: impact.intrinsic_state(key[0], key[1]))
        return {
            slug: intrinsic_of[manual, pk in blocking]
            for pk, slug, manual in zip(ids, slugs, manuals, strict=True)
        }
    nodes = Node.objects.filter(pk__in=list(among))
    return {
        slug: impact.intrinsic_state(manual, pk in blocking)
        for pk, slug, manual in nodes.values_list("id", "slug", "manual_state")
    }


def noted_changes(after: int, upto: int) -> set[int]:
    """The nodes noted as changed by the requests in (after, upto] (one query)."""
    return set(
        IntrinsicChange.objects.filter(requested__gt=after, requested__lte=upto)
        .values_list("node_id", flat=True)
        .distinct()
    )


def _fetch(model: type[Model], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """All rows of `columns` in one round trip, as the driver returns them (not PostgreSQL)."""
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _fetch_columns(model: type[Model], columns: Sequence[str | tuple[str, str]]) -> list[list[Any]]:
    """Every row's value of each column, a list per column, in one round trip.

    A column is a name, or (name, the SQL expression to read on PostgreSQL). On PostgreSQL
    each column comes as one array in the binary format, which the driver turns into a
    list in C: at 1.25 million edges that is about 0.1 s of CPU, where rows as tuples and
    transposing them cost about 2 s. Elsewhere (SQLite), rows transposed.
    """
    if connection.vendor != "postgresql":
        names = [column if isinstance(column, str) else column[0] for column in columns]
        rows = _fetch(model, names)
        return list(map(list, zip(*rows, strict=True))) if rows else [[] for _ in columns]
    import psycopg  # PostgreSQL only

    quote = connection.ops.quote_name
    expressions = [quote(column) if isinstance(column, str) else column[1] for column in columns]
    arrays = ", ".join(f"array_agg({expression})" for expression in expressions)
    sql = f"SELECT {arrays} FROM {quote(model._meta.db_table)}"
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)  # Django's cursor binds client-side: text only
    raw.format = psycopg.pq.Format.BINARY
    # Wrapped as Django wraps its own cursors, so the query is counted and timed as usual.
    wrapped = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrapped(raw) as cursor:
        cursor.execute(sql)
        values = cursor.fetchone()
    return [list(column or ()) for column in values]


def _json_list(value: Any) -> tuple[str, ...]:
    """A JSON list column as the driver gives it: text (PostgreSQL's jsonb as Django reads
    it, SQLite) or already parsed."""
    if isinstance(value, str):
        return () if value == "[]" else tuple(json.loads(value))
    return tuple(value or ())


def _moment(value: Any) -> datetime | None:
    """A timestamp column: PostgreSQL gives aware datetimes (or text, read as such), SQLite
    UTC text."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Parsed(dict):  # type: ignore[type-arg]
    """Text parsed once per distinct value: 260,000 nodes share a few thousand sets of root
    causes and a handful of blocked-since moments."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, text: Any) -> Any:
        value = self[text] = self._parse(text)
        return value


def load_graph() -> LoadedGraph:
    """The whole graph as engine input, with what is stored now (five queries)."""
    blocking = blocking_node_ids()
    ids, slugs, kinds, manuals, stored_intrinsics, stored_states, sinces, causes = _fetch_columns(
        Node,
        (
            "id",
            "slug",
            "kind",
            "manual_state",
            "intrinsic_state",
            "state",
            # As text, parsed once per distinct value below.
            ("blocked_since", '"blocked_since"::text'),
            ("root_causes", '"root_causes"::text'),
        ),
    )
    states = _Parsed(State.parse)
    root_causes = _Parsed(_json_list)
    moments = _Parsed(_moment)
    intrinsic_of = _Parsed(lambda key: impact.intrinsic_state(key[0], key[1]))
    intrinsic = [
        intrinsic_of[manual, pk in blocking] for pk, manual in zip(ids, manuals, strict=True)
    ]
    # StoredRow(pk, state, blocked_since, root_causes, intrinsic_state) per node, made by
    # tuple.__new__ from the columns: all in C, where a comprehension of 260,000 calls is not.
    rows = zip(
        ids,
        map(states.__getitem__, stored_states),
        map(moments.__getitem__, sinces),
        map(root_causes.__getitem__, causes),
        map(states.__getitem__, stored_intrinsics),
        strict=True,
    )
    stored_nodes = dict(zip(slugs, map(partial(tuple.__new__, StoredRow), rows), strict=True))
    del manuals, stored_intrinsics, stored_states, sinces, causes

    # The edges go to the engine as columns of node positions, never as an object per
    # edge: at a million edges that is most of the cost. Criticality stays the stored text
    # (the engine's Criticality is a StrEnum, equal to it); no group is None.
    position = dict(zip(ids, range(len(ids)), strict=True))
    sources, targets, criticalities, groups, minimums = _fetch_columns(
        Edge,
        (
            "source_id",
            "target_id",
            "criticality",
            ("redundancy_group", "NULLIF(\"redundancy_group\", '')"),
            "min_operational",
        ),
    )
    columns = impact.GraphColumns(
        slugs=slugs,
        kinds=kinds,
        intrinsic=intrinsic,  # type: ignore[arg-type]
        sources=list(map(position.__getitem__, sources)),
        targets=list(map(position.__getitem__, targets)),
        criticalities=criticalities,
        groups=groups,
        min_operational=minimums,
    )
    del sources, targets

    requires: dict[int, list[impact.Requirement]] = {}
    for objective_id, node_id, crit in Requirement.objects.values_list(
        "objective_id", "node_id", "criticality"
    ):
        requires.setdefault(objective_id, []).append(
            impact.Requirement(slugs[position[node_id]], impact.Criticality(crit))
        )
    engine_objectives = []
    stored_objectives: dict[str, StoredRow] = {}
    for pk, key, value, state, since, objective_causes in Objective.objects.values_list(
        "id", "key", "value_at_stake", "state", "blocked_since", "root_causes"
    ):
        engine_objectives.append(impact.Objective(key, value, tuple(requires.get(pk, ()))))
        stored_objectives[key] = StoredRow(pk, State(state), since, tuple(objective_causes))

    graph = impact.build_graph_from_columns(columns, engine_objectives)
    return LoadedGraph(graph=graph, nodes=stored_nodes, objectives=stored_objectives)


def impact_state() -> ImpactState:
    """The one row that says which results are stored (made by a migration; a flushed test
    database lacks it)."""
    state, _ = ImpactState.objects.get_or_create(pk=1)
    return state


def stored_ranking() -> list[dict[str, Any]]:
    """The bottleneck ranking the last recompute stored, best first: for each root cause its
    slug (`node`), the blocked capabilities and objectives, and the value at risk (a string,
    as in the API). Ordered as the engine ranks (impact.bottlenecks): value at risk, then
    objectives blocked, then slug, in Python so that ties do not follow the database's
    collation."""
    rows = StoredBottleneck.objects.values_list(
        "node", "capabilities", "objectives", "value_at_risk"
    )
    ranked = sorted(rows, key=lambda row: (-row[3], -len(row[2]), row[0]))
    return [
        {
            "node": node,
            "capabilities": capabilities,
            "objectives": objectives,
            "value_at_risk": str(value),
        }
        for node, capabilities, objectives, value in ranked
    ]
