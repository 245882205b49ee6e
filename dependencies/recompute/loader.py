"""The impact engine's loader: the graph and the stored results, from the database.

It reads everything in five queries, whatever the size of the graph (the writer is
`dependencies.recompute.writer`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from dependencies import impact
from dependencies.impact import State
from dependencies.models import Edge, ImpactState, IntrinsicChange, Node
from integrations.models import TicketLink
from objectives.models import Objective, Requirement


@dataclass
class StoredRow:
    """What the database holds for one node or objective (the engine's PreviousState)."""

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
    nodes = Node.objects.all() if among is None else Node.objects.filter(pk__in=list(among))
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
    """All rows of `columns` in one round trip, as the driver returns them.

    No model instances and no per-row converters: at 250,000 nodes and 1.25 million edges
    those cost more than the query. Callers convert the few columns that need it.
    """
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _json_list(value: Any) -> tuple[str, ...]:
    """A JSON list column as the driver gives it: text (PostgreSQL's jsonb as Django reads
    it, SQLite) or already parsed."""
    if isinstance(value, str):
        return () if value == "[]" else tuple(json.loads(value))
    return tuple(value or ())


def _moment(value: Any) -> datetime | None:
    """A timestamp column: PostgreSQL gives aware datetimes, SQLite UTC text."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_graph() -> LoadedGraph:
    """The whole graph as engine input, with what is stored now (five queries)."""
    blocking = blocking_node_ids()
    slugs: dict[int, str] = {}
    position: dict[int, int] = {}  # node id -> its place in the engine's columns
    kinds: list[str] = []
    intrinsic: list[State] = []
    stored_nodes: dict[str, StoredRow] = {}
    rows = _fetch(
        Node,
        (
            "id",
            "slug",
            "kind",
            "manual_state",
            "intrinsic_state",
            "state",
            "blocked_since",
            "root_causes",
        ),
    )
    states = {state.label: state for state in State}
    for pk, slug, kind, manual, stored_intrinsic, state, since, causes in rows:
        position[pk] = len(kinds)
        slugs[pk] = slug
        kinds.append(kind)
        intrinsic.append(impact.intrinsic_state(manual, pk in blocking))
        stored_nodes[slug] = StoredRow(
            pk, states[state], _moment(since), _json_list(causes), states[stored_intrinsic]
        )
    del rows

    # The edges go to the engine as columns, never as an object per edge: at a million edges
    # that is most of the cost. Criticality stays the stored text (the engine's Criticality
    # is a StrEnum, equal to it).
    edges = _fetch(
        Edge, ("source_id", "target_id", "criticality", "redundancy_group", "min_operational")
    )
    sources, targets, criticalities, groups, minimums = (
        map(list, zip(*edges, strict=True)) if edges else ([], [], [], [], [])
    )
    del edges
    columns = impact.GraphColumns(
        slugs=list(slugs.values()),
        kinds=kinds,
        intrinsic=intrinsic,  # type: ignore[arg-type]
        sources=list(map(position.__getitem__, sources)),
        targets=list(map(position.__getitem__, targets)),
        criticalities=criticalities,
        groups=groups,
        min_operational=minimums,
    )

    requires: dict[int, list[impact.Requirement]] = {}
    for objective_id, node_id, crit in Requirement.objects.values_list(
        "objective_id", "node_id", "criticality"
    ):
        requires.setdefault(objective_id, []).append(
            impact.Requirement(slugs[node_id], impact.Criticality(crit))
        )
    engine_objectives = []
    stored_objectives: dict[str, StoredRow] = {}
    for pk, key, value, state, since, causes in Objective.objects.values_list(
        "id", "key", "value_at_stake", "state", "blocked_since", "root_causes"
    ):
        engine_objectives.append(impact.Objective(key, value, tuple(requires.get(pk, ()))))
        stored_objectives[key] = StoredRow(pk, State(state), since, tuple(causes))

    graph = impact.build_graph_from_columns(columns, engine_objectives)
    return LoadedGraph(graph=graph, nodes=stored_nodes, objectives=stored_objectives)


def impact_state() -> ImpactState:
    """The one row that says which results are stored (made by a migration; a flushed test
    database lacks it)."""
    state, _ = ImpactState.objects.get_or_create(pk=1)
    return state
