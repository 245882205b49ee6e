"""The impact engine's loader: the graph and the stored results, from the database.

It reads everything in five queries, whatever the size of the graph (the writer is
`dependencies.recompute.writer`). Nodes and edges come as columns, each an array in
PostgreSQL's binary format (psycopg 3 reads those in C; https://www.psycopg.org/psycopg3/docs/basic/adapt.html#binary-adaptation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from django.db import connection
from django.db.models import Model

from dependencies import impact
from dependencies.impact import State
from dependencies.models import Edge, ImpactState, Node, StoredBottleneck
from dependencies.recompute.stored import Parsed, StoredNodes, StoredRow, moment
from integrations.models import TicketLink
from objectives.models import Objective, Requirement


@dataclass
class LoadedGraph:
    graph: impact.DependencyGraph
    nodes: StoredNodes
    objectives: dict[str, StoredRow] = field(default_factory=dict)
    teams: list[int | None] = field(default_factory=list)  # by node vertex: the map's counts


def blocking_node_ids() -> set[int]:
    """Nodes with at least one blocking linked ticket (one query)."""
    links = TicketLink.objects.filter(node__isnull=False, ticket__is_blocking=True)
    return set(links.values_list("node_id", flat=True).distinct())


def load_intrinsic_states() -> dict[str, State]:
    """Every node's intrinsic state: the manual override, else the blocking tickets (2
    queries, as columns like the full load). A ticket change's pass reads only the nodes
    it named: `dependencies.recompute.noted`."""
    blocking = blocking_node_ids()
    ids, slugs, manuals = _fetch_columns(Node, ("id", "slug", "manual_state"))
    intrinsic_of = Parsed(lambda key: impact.intrinsic_state(key[0], key[1]))
    keys = zip(manuals, map(blocking.__contains__, ids), strict=True)
    return dict(zip(slugs, map(intrinsic_of.__getitem__, keys), strict=True))


def _fetch(model: type[Model], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """All rows of `columns` in one round trip, as the driver returns them (not PostgreSQL)."""
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


Column = str | tuple[str, str]  # a name, or (name, the SQL expression to read on PostgreSQL)
Receive = Callable[[], list[list[Any]]]


def _fetch_columns(model: type[Model], columns: Sequence[Column]) -> list[list[Any]]:
    """Every row's value of each column, a list per column, in one round trip."""
    with _column_reads() as send:
        return send(model, columns)()


class Send(Protocol):
    def __call__(
        self, model: type[Model], columns: Sequence[Column], *, apart: bool = False
    ) -> Receive: ...


@contextmanager
def _column_reads() -> Iterator[Send]:
    """Reads of whole tables as columns: `send(model, columns)` sends one, and the function
    it returns waits for its columns (a list per column, every row's value).

    On PostgreSQL each column comes as one array in the binary format, which the driver
    turns into a list in C: at 1.25 million edges that is about 0.1 s of CPU, where rows as
    tuples and transposing them cost about 2 s. The reads go in one pipeline (psycopg's
    pipeline mode, https://www.psycopg.org/psycopg3/docs/advanced/pipeline.html), so that
    the server computes the next read's arrays while this process handles the one before.
    A read sent `apart` goes on a connection of its own, in a thread, when this connection
    is not in a transaction (whose rows another connection would not see): PostgreSQL then
    builds the nodes' and the edges' arrays at the same time, on two cores.
    Elsewhere (SQLite), rows transposed, read when received.
    """
    if connection.vendor != "postgresql":
        yield lambda model, columns, *, apart=False: partial(_transposed, model, columns)
        return
    import psycopg  # PostgreSQL only

    connection.ensure_connection()
    raw_connection = connection.connection
    # Wrapped as Django wraps its own cursors, so each query is counted and timed as usual
    # (the time of a pipelined query is the time to send it).
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    cursors: list[Any] = []
    threads: list[ThreadPoolExecutor] = []

    def send(model: type[Model], columns: Sequence[Column], *, apart: bool = False) -> Receive:
        if apart and not connection.in_atomic_block:
            thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="impact-loader")
            threads.append(thread)
            # Held until received, then dropped: the future would keep the columns alive.
            pending = [thread.submit(_fetch_columns_on_own_connection, model, columns)]
            return lambda: pending.pop().result()
        raw = psycopg.Cursor(raw_connection)  # Django's cursor binds client-side: text only
        raw.format = psycopg.pq.Format.BINARY
        cursor = wrap(raw)
        cursors.append(cursor)
        cursor.execute(_array_sql(model, columns))

        def receive() -> list[list[Any]]:
            values = cursor.fetchone()
            cursor.close()  # the driver's copy of the arrays: tens of MB, freed now
            return [column if column is not None else [] for column in values]

        return receive

    try:
        with raw_connection.pipeline():
            yield send
    finally:
        for cursor in cursors:
            cursor.close()
        for thread in threads:
            thread.shutdown(cancel_futures=True)


def _fetch_columns_on_own_connection(
    model: type[Model], columns: Sequence[Column]
) -> list[list[Any]]:
    """`_fetch_columns` in a thread: Django gives each thread a connection of its own,
    closed here."""
    try:
        return _fetch_columns(model, columns)
    finally:
        connection.close()


def _array_sql(model: type[Model], columns: Sequence[Column]) -> str:
    quote = connection.ops.quote_name
    expressions = [quote(column) if isinstance(column, str) else column[1] for column in columns]
    arrays = ", ".join(f"array_agg({expression})" for expression in expressions)
    return f"SELECT {arrays} FROM {quote(model._meta.db_table)}"


def _transposed(model: type[Model], columns: Sequence[Column]) -> list[list[Any]]:
    names = [column if isinstance(column, str) else column[0] for column in columns]
    rows = _fetch(model, names)
    return list(map(list, zip(*rows, strict=True))) if rows else [[] for _ in columns]


def load_graph() -> LoadedGraph:
    """The whole graph as engine input, with what is stored now (five queries)."""
    blocking = blocking_node_ids()
    with _column_reads() as send:
        receive_nodes = send(
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
                "team_id",
            ),
        )
        # The edges go to the engine as columns of node positions, never as an object per
        # edge: at a million edges that is most of the cost. Criticality stays the stored
        # text (the engine's Criticality is a StrEnum, equal to it); no group is None.
        receive_edges = send(
            Edge,
            (
                "source_id",
                "target_id",
                "criticality",
                ("redundancy_group", "NULLIF(\"redundancy_group\", '')"),
                "min_operational",
            ),
            apart=True,
        )
        receive_requirements = send(Requirement, ("objective_id", "node_id", "criticality"))

        nodes = receive_nodes()
        ids, slugs, kinds, manuals, stored_intrinsics, stored_states, sinces, causes, teams = nodes
        # Decided once per (override, blocked by a ticket) pair, the loop in C.
        intrinsic_of = Parsed(lambda key: impact.intrinsic_state(key[0], key[1]))
        keys = zip(manuals, map(blocking.__contains__, ids), strict=True)
        intrinsic = list(map(intrinsic_of.__getitem__, keys))
        position = dict(zip(ids, range(len(ids)), strict=True))
        sources, targets, criticalities, groups, minimums = receive_edges()
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
        del nodes, manuals, sources, targets
        objective_ids, node_ids, requirement_criticalities = receive_requirements()

    requires: dict[int, list[impact.Requirement]] = {}
    node_slugs = map(slugs.__getitem__, map(position.__getitem__, node_ids))
    for objective_id, slug, crit in zip(
        objective_ids, node_slugs, requirement_criticalities, strict=True
    ):
        # The stored text, as for the edges: the engine refuses one it does not know.
        requirement = impact.Requirement(slug, crit)  # type: ignore[arg-type]
        requires.setdefault(objective_id, []).append(requirement)
    engine_objectives = []
    stored_objectives: dict[str, StoredRow] = {}
    for pk, key, value, state, since, objective_causes in Objective.objects.values_list(
        "id", "key", "value_at_stake", "state", "blocked_since", "root_causes"
    ):
        engine_objectives.append(impact.Objective(key, value, tuple(requires.get(pk, ()))))
        stored_objectives[key] = StoredRow(pk, State(state), since, tuple(objective_causes))

    graph = impact.build_graph_from_columns(columns, engine_objectives)
    states = Parsed(State.parse)
    moments = Parsed(moment)
    # Columns in the graph's node order, parsed once per distinct value; the root causes
    # stay text until compared (dependencies.recompute.stored).
    stored_nodes = StoredNodes(
        index=graph.node_index,
        slugs=slugs,
        pks=ids,
        states=list(map(states.__getitem__, stored_states)),
        intrinsic_states=list(map(states.__getitem__, stored_intrinsics)),
        blocked_since=list(map(moments.__getitem__, sinces)),
        root_causes=causes,
    )
    return LoadedGraph(graph=graph, nodes=stored_nodes, objectives=stored_objectives, teams=teams)


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
