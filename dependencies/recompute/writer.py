"""The impact engine's writer: store the results, the state history and the summary.

It touches only the rows whose results changed, in one statement per table on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import compress
from operator import itemgetter, ne

from django.db import connection

from dependencies import impact
from dependencies.models import ImpactState, Node, StateTransition, StoredBottleneck
from dependencies.recompute.loader import StoredRow
from objectives.models import Objective


@dataclass
class StoreOutcome:
    nodes_written: int = 0
    objectives_written: int = 0
    transitions: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.nodes_written or self.objectives_written)


def store_results(
    result: impact.ImpactResult,
    *,
    stored_nodes: Mapping[str, StoredRow],
    stored_objectives: Mapping[str, StoredRow],
    only_nodes: Iterable[str] | None = None,
    only_objectives: Iterable[str] | None = None,
    version: int,
    reason: str,
) -> StoreOutcome:
    """Write the results that differ from what is stored; record state transitions.

    `only_*` limit the comparison to items an incremental update reported as changed.
    Call inside a transaction.
    """
    outcome = StoreOutcome()
    now = result.computed_at
    node_rows: list[tuple[int, str, str, list[str], datetime | None]] = []
    transitions: list[TransitionRow] = []
    reason = reason[:300]
    news = (
        _differing_nodes(result, stored_nodes)
        if only_nodes is None
        else (result.nodes[slug] for slug in only_nodes)
    )
    for new in news:
        old = stored_nodes[new.slug]
        if (  # most often true on a full pass: cheapest tests first, no tuples made
            new.state is old.state
            and new.intrinsic_state is old.intrinsic_state
            and new.blocked_since == old.blocked_since
            and new.root_causes == old.root_causes
        ):
            continue
        node_rows.append(
            (
                old.pk,
                new.intrinsic_state.label,
                new.state.label,
                list(new.root_causes),
                new.blocked_since,
            )
        )
        if new.state != old.state:
            transitions.append(
                (
                    old.pk,
                    None,
                    old.state.label,
                    new.state.label,
                    now,
                    list(new.root_causes),
                    reason,
                    version,
                )
            )
    objective_rows: list[tuple[int, str, list[str], datetime | None]] = []
    for key in result.objectives if only_objectives is None else only_objectives:
        new_o = result.objectives[key]
        old = stored_objectives[key]
        if (new_o.state, new_o.root_causes, new_o.blocked_since) == (
            old.state,
            old.root_causes,
            old.blocked_since,
        ):
            continue
        objective_rows.append(
            (old.pk, new_o.state.label, list(new_o.root_causes), new_o.blocked_since)
        )
        if new_o.state != old.state:
            transitions.append(
                (
                    None,
                    old.pk,
                    old.state.label,
                    new_o.state.label,
                    now,
                    list(new_o.root_causes),
                    reason,
                    version,
                )
            )
    _update_nodes(node_rows, version)
    _update_objectives(objective_rows, version)
    _insert_transitions(transitions)
    outcome.nodes_written = len(node_rows)
    outcome.objectives_written = len(objective_rows)
    outcome.transitions = len(transitions)
    return outcome


def _differing_nodes(
    result: impact.ImpactResult, stored: Mapping[str, StoredRow]
) -> Iterable[impact.NodeResult]:
    """The node results that may differ from the stored rows, found a column at a time.

    A full pass with little to write (the periodic safety net, a new worker) would
    otherwise compare 250,000 rows one by one in Python; `map(ne, ...)` over columns runs in
    C, and only the rows it flags are compared (and written) by the caller. Stored rows in
    another order than the graph's nodes (not the loader's) are compared one by one.
    """
    graph = result.graph
    count = graph.node_count
    olds = list(stored.values())
    if len(olds) != count or list(stored) != graph.slugs[:count]:
        return result.node_values()
    intrinsic, states, causes, since = result.node_columns()
    differing: set[int] = set()
    for new, field in ((states, 1), (intrinsic, 4), (since, 2), (causes, 3)):
        differing.update(compress(range(count), map(ne, new, map(itemgetter(field), olds))))
    return map(result.node_result, sorted(differing))


# node id, objective id, from, to, at, root causes, reason, version
TransitionRow = tuple[int | None, int | None, str, str, datetime, list[str], str, int]

# Past this many rows, COPY into a temporary table and one UPDATE ... FROM beat sending the
# rows as arrays: psycopg quotes array items in Python, COPY in C (a first run at 250,000
# nodes writes about 145,000 rows).
COPY_THRESHOLD = 2000


def _insert_transitions(rows: list[TransitionRow]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(StateTransition._meta.db_table)
    if connection.vendor == "postgresql" and len(rows) > COPY_THRESHOLD:
        text = _CopyText()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {table} (node_id, objective_id, from_state, to_state, at, root_causes, "
                "reason, version) FROM STDIN"
            ) as copy,
        ):
            for chunk in _chunks(
                f"{text.null(node)}\t{text.null(objective)}\t{before}\t{after}\t"
                f"{text.moment(at)}\t{text.causes(causes)}\t{text.escaped(reason)}\t{version}\n"
                for node, objective, before, after, at, causes, reason, version in rows
            ):
                copy.write(chunk)
        return
    if connection.vendor == "postgresql":
        # One JSON document for every row: json.dumps encodes it in C, where an array per
        # column would be quoted item by item in Python (a ticket change writes hundreds).
        document = [
            [node, objective, before, after, at.isoformat(), causes, reason, version]
            for node, objective, before, after, at, causes, reason, version in rows
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (node_id, objective_id, from_state, to_state, at,
                                     root_causes, reason, version)
                SELECT (r->>0)::bigint, (r->>1)::bigint, r->>2, r->>3, (r->>4)::timestamptz,
                       r->5, r->>6, (r->>7)::bigint
                  FROM jsonb_array_elements(%s::jsonb) AS r
                """,
                [json.dumps(document)],
            )
        return
    StateTransition.objects.bulk_create(
        [
            StateTransition(
                node_id=node,
                objective_id=objective,
                from_state=before,
                to_state=after,
                at=at,
                root_causes=causes,
                reason=reason,
                version=version,
            )
            for node, objective, before, after, at, causes, reason, version in rows
        ],
        batch_size=2000,
    )


class _CopyText:
    """Values in COPY's text format, each distinct one made once: a first run writes about
    145,000 node rows and as many transitions, which share a few thousand sets of root
    causes, a handful of moments and one reason (psycopg's `write_row` and a `json.dumps`
    per row were most of the writer's CPU time)."""

    def __init__(self) -> None:
        self._causes: dict[tuple[str, ...], str] = {}
        self._moments: dict[datetime, str] = {}
        self._texts: dict[str, str] = {}

    @staticmethod
    def null(value: int | None) -> str:
        return r"\N" if value is None else str(value)

    def escaped(self, value: str) -> str:
        if value not in self._texts:
            self._texts[value] = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return self._texts[value]

    def causes(self, causes: Sequence[str]) -> str:
        key = tuple(causes)
        if key not in self._causes:
            self._causes[key] = self.escaped(json.dumps(causes))
        return self._causes[key]

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return r"\N"
        if value not in self._moments:
            self._moments[value] = value.isoformat()
        return self._moments[value]


def _chunks(lines: Iterable[str], size: int = 5000) -> Iterator[str]:
    """Lines joined a few thousand at a time: one write per chunk, not per row."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def _update_nodes_by_copy(
    rows: list[tuple[int, str, str, list[str], datetime | None]], version: int
) -> None:
    table = connection.ops.quote_name(Node._meta.db_table)
    with connection.cursor() as cursor:
        # Dropped with the transaction's rows; kept for the session, emptied before use in
        # case one transaction stores twice.
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS impact_node_rows (id bigint, intrinsic text, "
            "state text, causes jsonb, since timestamptz) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE impact_node_rows")
        text = _CopyText()
        with cursor.cursor.copy("COPY impact_node_rows FROM STDIN") as copy:
            for chunk in _chunks(
                f"{pk}\t{intrinsic}\t{state}\t{text.causes(causes)}\t{text.moment(since)}\n"
                for pk, intrinsic, state, causes, since in rows
            ):
                copy.write(chunk)
        cursor.execute(
            f"""
            UPDATE {table} AS n
               SET intrinsic_state = v.intrinsic, state = v.state,
                   root_causes = v.causes, blocked_since = v.since, results_version = %s
              FROM impact_node_rows AS v
             WHERE n.id = v.id
            """,
            [version],
        )


def _update_nodes(
    rows: list[tuple[int, str, str, list[str], datetime | None]], version: int
) -> None:
    """Write the nodes' results, as of results `version`."""
    if not rows:
        return
    if connection.vendor == "postgresql" and len(rows) > COPY_THRESHOLD:
        _update_nodes_by_copy(rows, version)
        return
    if connection.vendor == "postgresql":
        # One JSON document, as for the transitions: encoded in C, sent as one parameter.
        document = [
            [pk, intrinsic, state, causes, since and since.isoformat()]
            for pk, intrinsic, state, causes, since in rows
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {connection.ops.quote_name(Node._meta.db_table)} AS n
                   SET intrinsic_state = r->>1, state = r->>2, root_causes = r->3,
                       blocked_since = (r->>4)::timestamptz, results_version = %s
                  FROM jsonb_array_elements(%s::jsonb) AS r
                 WHERE n.id = (r->>0)::bigint
                """,
                [version, json.dumps(document)],
            )
        return
    objs = [
        Node(
            id=pk,
            intrinsic_state=intrinsic,
            state=state,
            root_causes=causes,
            blocked_since=since,
            results_version=version,
        )
        for pk, intrinsic, state, causes, since in rows
    ]
    Node.objects.bulk_update(
        objs,
        ["intrinsic_state", "state", "root_causes", "blocked_since", "results_version"],
        batch_size=500,
    )


def _update_objectives(
    rows: list[tuple[int, str, list[str], datetime | None]], version: int
) -> None:
    """Write the objectives' results, as of results `version`."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        document = [
            [pk, state, causes, since and since.isoformat()] for pk, state, causes, since in rows
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {connection.ops.quote_name(Objective._meta.db_table)} AS o
                   SET state = r->>1, root_causes = r->2, blocked_since = (r->>3)::timestamptz,
                       results_version = %s
                  FROM jsonb_array_elements(%s::jsonb) AS r
                 WHERE o.id = (r->>0)::bigint
                """,
                [version, json.dumps(document)],
            )
        return
    objs = [
        Objective(
            id=pk, state=state, root_causes=causes, blocked_since=since, results_version=version
        )
        for pk, state, causes, since in rows
    ]
    Objective.objects.bulk_update(
        objs, ["state", "root_causes", "blocked_since", "results_version"], batch_size=500
    )


# What a stored entry of the ranking says: capabilities, objectives, value at risk.
Entry = tuple[list[str], list[str], Decimal]


def _changed_entries(
    before: Mapping[str, Entry], bottlenecks: Iterable[impact.Bottleneck]
) -> list[StoredBottleneck]:
    """The rows to write for the entries that differ from `before` (or are new)."""
    return [
        StoredBottleneck(
            node=b.node,
            capabilities=list(b.capabilities),
            objectives=list(b.objectives),
            value_at_risk=b.value_at_risk,
        )
        for b in bottlenecks
        # Decimals compare by value: 0 and 0.00 are the same entry.
        if before.get(b.node) != (list(b.capabilities), list(b.objectives), b.value_at_risk)
    ]


def store_ranking(result: impact.ImpactResult, previous: impact.ImpactResult | None = None) -> int:
    """Write the entries of the bottleneck ranking that changed, delete those gone; return
    how many rows that was.

    `previous` is the result the stored rows reflect, when the caller knows it (the
    incremental pass): only entries that are not the very same objects in both are
    compared, and nothing is read. Without it, the stored rows are read and compared.
    """
    if previous is None:
        before: dict[str, Entry] = {
            node: (capabilities, objectives, value)
            for node, capabilities, objectives, value in StoredBottleneck.objects.values_list(
                "node", "capabilities", "objectives", "value_at_risk"
            )
        }
        changed = _changed_entries(before, result.bottlenecks)
        gone = before.keys() - {b.node for b in result.bottlenecks}
    elif result.bottlenecks == previous.bottlenecks:  # equal items are mostly the same objects
        return 0
    else:
        old, new = previous.ranking.entries, result.ranking.entries  # by root cause
        moved = [b for slug, b in new.items() if old.get(slug) is not b]
        before = {
            b.node: (list(b.capabilities), list(b.objectives), b.value_at_risk)
            for b in (old[m.node] for m in moved if m.node in old)
        }
        changed = _changed_entries(before, moved)
        gone = old.keys() - new.keys()
    if changed:
        StoredBottleneck.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["node"],
            update_fields=["capabilities", "objectives", "value_at_risk"],
        )
    if gone:
        StoredBottleneck.objects.filter(node__in=sorted(gone)).delete()
    return len(changed) + len(gone)


def save_summary(
    state: ImpactState,
    result: impact.ImpactResult,
    *,
    computed: int,
    changed: bool,
    duration_ms: int,
    previous: impact.ImpactResult | None = None,
) -> None:
    """Record on the ImpactState row what the stored results now reflect, and store the
    entries of the ranking that changed (StoredBottleneck).

    `previous` is the result the stored rows reflect, when the caller knows it (the
    incremental pass): the ranking and cycles are then compared with its own, which costs
    nothing when the update left them as they were.
    """
    fields = ["version", "computed", "computed_at", "duration_ms", "value_at_risk"]
    summary_changed = bool(store_ranking(result, previous))
    # An update on the same graph (a ticket change) has the same cycles: nothing to compare.
    if previous is None or previous.graph is not result.graph:
        cycles = [list(cycle) for cycle in result.cycles]
        stored_cycles = state.cycles if previous is None else [list(c) for c in previous.cycles]
        if cycles != stored_cycles:
            summary_changed = True
            state.cycles = cycles
            fields.append("cycles")
    if changed or summary_changed:
        state.version += 1
    state.computed = computed
    state.computed_at = result.computed_at
    state.duration_ms = duration_ms
    state.value_at_risk = Decimal(result.value_at_risk)
    state.save(update_fields=fields)
