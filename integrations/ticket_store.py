"""Write pages of normalized tickets into the mirror.

On PostgreSQL, per page: one read of the stored fingerprints of the page's tickets (a
64-bit hash of the mirrored values as last written), then one INSERT … SELECT FROM
jsonb_to_recordset(…) ON CONFLICT DO UPDATE for the tickets whose fingerprint differs,
guarded by WHERE the row IS DISTINCT FROM the new values. A page of unchanged tickets is
thus one index read: no row locked (ON CONFLICT DO UPDATE locks a conflicting row even
when its WHERE is false), no row or WAL written. Elsewhere (the SQLite demo) the same
result with a read, a bulk insert and a bulk update.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from integrations.connectors import NormalizedTicket, ticket_is_blocking
from integrations.linking import TicketFacts
from integrations.models import Connector, Ticket
from integrations.storable import storable_record

# Mirror columns, in the order of the values each row carries.
COLUMNS = (
    "key",
    "url",
    "title",
    "status_raw",
    "status_category",
    "priority",
    "is_blocker",
    "is_blocking",
    "assignee",
    "assignment_group",
    "reassignment_count",
    "ci",
    "components",
    "labels",
    "opened_at",
    "updated_at",
    "resolved_at",
    "sla_breached",
    "due_at",
    "reopen_count",
    "raw",
)
_PG_TYPES = {
    "key": "text",
    "url": "text",
    "title": "text",
    "status_raw": "text",
    "status_category": "text",
    "priority": "smallint",
    "is_blocker": "boolean",
    "is_blocking": "boolean",
    "assignee": "text",
    "assignment_group": "text",
    "reassignment_count": "integer",
    "ci": "text",
    "components": "jsonb",
    "labels": "jsonb",
    "opened_at": "timestamptz",
    "updated_at": "timestamptz",
    "resolved_at": "timestamptz",
    "sla_breached": "boolean",
    "due_at": "timestamptz",
    "reopen_count": "integer",
    "raw": "jsonb",
}
_JSON = {"components", "labels", "raw"}
_ABSENT = object()  # no stored fingerprint: the ticket is not mirrored (or is missing)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Ids of the tickets inserted or changed: what linking and the impact look at.
    changed_ids: list[int] = field(default_factory=list)
    # What link rules read of those tickets, as now stored (None: not collected).
    changed_facts: list[TicketFacts] | None = None
    # Those of changed_ids that were inserted.
    created_ids: list[int] = field(default_factory=list)


def ticket_values(ticket: NormalizedTicket, *, blocking_priority: int) -> dict[str, Any]:
    return {
        "key": ticket.key[:100],
        "url": ticket.url[:1000],
        "title": ticket.title,
        "status_raw": ticket.status_raw[:100],
        "status_category": ticket.status_category,
        "priority": ticket.priority,
        "is_blocker": ticket.is_blocker,
        "is_blocking": ticket_is_blocking(ticket, blocking_priority=blocking_priority),
        "assignee": (ticket.assignee or "")[:200],
        "assignment_group": (ticket.assignment_group or "")[:200],
        "reassignment_count": ticket.reassignment_count,
        "ci": (ticket.ci or "")[:300],
        "components": list(ticket.components),
        "labels": list(ticket.labels),
        "opened_at": ticket.opened_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "sla_breached": ticket.sla_breached,
        "due_at": ticket.due_at,
        "reopen_count": ticket.reopen_count,
        "raw": ticket.raw if type(ticket.raw) is dict else dict(ticket.raw),
    }


def _latest_per_id(
    rows: Iterable[tuple[NormalizedTicket, int]],
) -> list[tuple[NormalizedTicket, int]]:
    """One row per external id (the newest), as one statement may touch a row only once."""
    latest: dict[str, tuple[NormalizedTicket, int]] = {}
    for row in rows:
        current = latest.get(row[0].external_id)
        if current is None or row[0].updated_at >= current[0].updated_at:
            latest[row[0].external_id] = row
    return list(latest.values())


# What a fingerprint covers besides the ticket: the mirrored columns, and the version of
# ticket_values() below. Bump it when ticket_values() derives a column differently.
_FINGERPRINT_BASIS = orjson.dumps({"version": 2, "columns": COLUMNS})


def fingerprinted(
    ticket: NormalizedTicket, *, blocking_priority: int
) -> tuple[NormalizedTicket, int]:
    """The ticket as it can be stored, and a 64-bit hash of the values ``ticket_values``
    writes for it (signed, to fit a PostgreSQL bigint).

    Computed from what those values are made of (the normalized ticket and the connector's
    blocking priority) so that an unchanged ticket costs no ``ticket_values`` call: the
    no-change re-sync spends its time here. Keys are sorted, so a source that sends a
    record's fields in another order does not look changed. Equal fingerprints are trusted
    to mean equal values (a 2^-64 chance per change of a collision); unequal ones are only
    a reason to compare the values.

    The serialization doubles as the check for what PostgreSQL cannot store (a NUL, a lone
    surrogate, a huge integer; integrations/storable.py): only such a ticket is cleaned.
    """
    try:
        encoded = _encode(ticket)
        storable = b"\\u0000" not in encoded
    except orjson.JSONEncodeError:  # a lone surrogate or a huge integer
        storable = False
    if not storable:
        ticket = storable_record(ticket)
        encoded = _encode(ticket)
    digest = hashlib.blake2b(_FINGERPRINT_BASIS, digest_size=8)
    digest.update(encoded)
    digest.update(blocking_priority.to_bytes(2, "big"))
    return ticket, int.from_bytes(digest.digest(), "big", signed=True)


def _encode(ticket: NormalizedTicket) -> bytes:
    return orjson.dumps(ticket, default=_as_dict, option=orjson.OPT_SORT_KEYS)


def _as_dict(value: object) -> dict[str, Any]:
    if isinstance(value, Mapping):  # a raw record that is not a plain dict
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be fingerprinted")


def upsert_tickets(
    connector: Connector, tickets: Sequence[NormalizedTicket], *, verify: bool = False
) -> UpsertResult:
    """Mirror a page of tickets. `verify`: compare every ticket by value, even where the
    stored fingerprint says it is unchanged (a repair; see sync_connector)."""
    blocking_priority = connector.blocking_priority
    # Made storable first: cleaning can make two ids of a page one.
    rows = _latest_per_id(
        fingerprinted(ticket, blocking_priority=blocking_priority) for ticket in tickets
    )
    if not rows:
        return UpsertResult()
    if connection.vendor == "postgresql":
        return _upsert_postgresql(connector, rows, verify=verify)
    return _upsert_portable(connector, [_row(t, f, blocking_priority) for t, f in rows])


def _row(
    ticket: NormalizedTicket, fingerprint: int, blocking_priority: int
) -> tuple[str, dict[str, Any]]:
    """(external_id, the columns to write, fingerprint included)."""
    values = ticket_values(ticket, blocking_priority=blocking_priority)
    values["fingerprint"] = fingerprint
    return ticket.external_id, values


def _page_cursor() -> Any:
    """A Django cursor that binds parameters on the server.

    Django's psycopg 3 cursors bind on the client: a parameter becomes a literal inside the
    SQL text, and a list becomes an array literal quoted element by element in Python. A
    page is one JSON document of about a megabyte; sent as a real parameter, the server does
    not have to parse it out of the statement's text. Wrapped like Django's own cursors, so
    query logging and execute wrappers still see the statement.
    """
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def stored_fingerprints_query(connector: Connector, external_ids: list[str]) -> tuple[str, list]:
    """external_id → fingerprint of the page's tickets already mirrored (and not missing).

    One probe of the (connector, external_id) index per ticket, written as a lateral
    subquery with LIMIT (which the planner cannot flatten into a join) so that the plan
    does not depend on the table's statistics: during and right after a first sync they
    describe a nearly empty table, and a plain join or `external_id = ANY(…)` was planned
    as a scan of all the connector's tickets, once per page.
    """
    sql = f"""
        SELECT page.external_id, stored.fingerprint
          FROM jsonb_array_elements_text(%s::jsonb) AS page(external_id)
         CROSS JOIN LATERAL (
               SELECT t.fingerprint FROM {Ticket._meta.db_table} AS t
                WHERE t.connector_id = %s AND t.external_id = page.external_id
                  AND NOT t.missing_from_source
                LIMIT 1  -- unique anyway; keeps the subquery a per-ticket probe
               ) AS stored
    """
    # The ids travel as one JSON array: encoded in C, where psycopg quotes a text[]
    # element by element in Python.
    return sql, [orjson.dumps(external_ids).decode(), connector.pk]


def _stored_fingerprints(connector: Connector, external_ids: list[str]) -> dict[str, int | None]:
    with _page_cursor() as cursor:
        cursor.execute(*stored_fingerprints_query(connector, external_ids))
        return dict(cursor.fetchall())


def _upsert_postgresql(
    connector: Connector, tickets: list[tuple[NormalizedTicket, int]], *, verify: bool = False
) -> UpsertResult:
    stored = _stored_fingerprints(connector, [t.external_id for t, _ in tickets])
    candidates = [
        _row(ticket, fingerprint, connector.blocking_priority)
        for ticket, fingerprint in tickets
        if verify or stored.get(ticket.external_id, _ABSENT) != fingerprint
    ]
    if not candidates:
        return UpsertResult(unchanged=len(tickets))
    table = Ticket._meta.db_table
    now = timezone.now()
    # The page travels as one JSON parameter, read back with jsonb_to_recordset: encoding
    # it is one C call, where per-column arrays cost a Python quoting pass per value.
    for external_id, values in candidates:
        values["external_id"] = external_id  # the dicts are this function's own
    page = orjson.dumps([values for _, values in candidates]).decode()
    record = ", ".join(
        ["external_id text", "fingerprint bigint"] + [f"{c} {_PG_TYPES[c]}" for c in COLUMNS]
    )
    names = ", ".join(COLUMNS)
    selected = ", ".join(f"v.{c}" for c in COLUMNS)
    excluded = ", ".join(f"EXCLUDED.{c}" for c in COLUMNS)
    current = ", ".join(f"t.{c}" for c in COLUMNS)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS)
    # An older version never replaces a newer one (a webhook delivered late, a poll racing
    # a push); verify re-reads the source's current state, which is the truth.
    newer = "" if verify else "AND t.updated_at <= EXCLUDED.updated_at"
    sql = f"""
        INSERT INTO {table} AS t (connector_id, external_id, {names}, fingerprint,
                                  missing_from_source, first_seen_at, synced_at)
        SELECT %s, v.external_id, {selected}, v.fingerprint, false, %s, %s
          FROM jsonb_to_recordset(%s::jsonb) AS v({record})
        ON CONFLICT (connector_id, external_id) DO UPDATE
           SET {assignments}, fingerprint = EXCLUDED.fingerprint,
               missing_from_source = false, synced_at = EXCLUDED.synced_at
         WHERE ({current}, t.missing_from_source) IS DISTINCT FROM ({excluded}, false)
               {newer}
        RETURNING t.id, (t.xmax = 0) AS inserted, t.external_id
    """
    with _page_cursor() as cursor:
        cursor.execute(sql, [connector.pk, now, now, page])
        returned = cursor.fetchall()
    written = {external_id for _, _, external_id in returned}
    # Equal values under a stale fingerprint (a row written before fingerprints, or by
    # other means): store the fingerprint once, so the next sync skips the row.
    stale = [
        (e, v["fingerprint"], v["updated_at"])
        for e, v in candidates
        if e not in written and stored.get(e, v["fingerprint"]) != v["fingerprint"]
    ]
    if stale:
        _fingerprints_store(connector, stale)
    created = sum(1 for _, inserted, _ in returned if inserted)
    by_id = dict(candidates)
    return UpsertResult(
        created=created,
        updated=len(returned) - created,
        unchanged=len(tickets) - len(returned),
        changed_ids=[pk for pk, _, _ in returned],
        changed_facts=[_facts(pk, by_id[external_id]) for pk, _, external_id in returned],
        created_ids=[pk for pk, inserted, _ in returned if inserted],
    )


def _fingerprints_store(connector: Connector, rows: list[tuple[str, int, datetime]]) -> None:
    """Store the fingerprints of rows left as they were because their values were equal;
    not of those left because the stored version is newer (same ``updated_at`` only)."""
    table = Ticket._meta.db_table
    with _page_cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} AS t SET fingerprint = s.fingerprint
                  FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[])
                       AS s(external_id, fingerprint, updated_at)
                 WHERE t.connector_id = %s AND t.external_id = s.external_id
                   AND t.updated_at = s.updated_at""",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], connector.pk],
        )


def _facts(pk: int, values: dict[str, Any]) -> TicketFacts:
    return TicketFacts(
        pk,
        values["key"],
        values["title"],
        values["ci"],
        values["assignment_group"],
        tuple(values["components"]),
        tuple(values["labels"]),
    )


def _comparable(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        json.dumps(values[c], sort_keys=True, default=str) if c in _JSON else values[c]
        for c in COLUMNS
    )


def _upsert_portable(connector: Connector, rows: list[tuple[str, dict[str, Any]]]) -> UpsertResult:
    result = UpsertResult()
    existing = {
        t.external_id: t
        for t in Ticket.objects.filter(connector=connector, external_id__in=[e for e, _ in rows])
    }
    now = timezone.now()
    new, changed = [], []
    for external_id, values in rows:
        ticket = existing.get(external_id)
        if ticket is None:
            new.append(
                Ticket(
                    connector=connector,
                    external_id=external_id,
                    first_seen_at=now,
                    synced_at=now,
                    **values,
                )
            )
            continue
        current = {c: getattr(ticket, c) for c in COLUMNS}
        if ticket.updated_at > values["updated_at"]:  # never older over newer
            result.unchanged += 1
            continue
        if _comparable(current) == _comparable(values) and not ticket.missing_from_source:
            result.unchanged += 1
            continue
        for column, value in values.items():
            setattr(ticket, column, value)
        ticket.missing_from_source = False
        ticket.synced_at = now
        changed.append(ticket)
    Ticket.objects.bulk_create(new, batch_size=500)
    Ticket.objects.bulk_update(
        changed, [*COLUMNS, "fingerprint", "missing_from_source", "synced_at"], batch_size=500
    )
    result.created, result.updated = len(new), len(changed)
    ids = dict(
        Ticket.objects.filter(
            connector=connector, external_id__in=[t.external_id for t in new]
        ).values_list("external_id", "id")
    )
    result.created_ids = [ids[t.external_id] for t in new]
    result.changed_ids = result.created_ids + [t.pk for t in changed]
    return result


def ticket_updated_at(value: datetime | None) -> datetime | None:
    return value
