"""Write pages of normalized tickets into the mirror: one statement a page.

On PostgreSQL: INSERT … SELECT FROM jsonb_to_recordset(page) ON CONFLICT DO
UPDATE … WHERE the row IS DISTINCT FROM the new values, so an unchanged ticket
is not rewritten (no dead tuple, no write). Elsewhere (the SQLite demo) the
same result with a read, a bulk insert and a bulk update.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from integrations.connectors import NormalizedTicket, ticket_is_blocking
from integrations.linking import TicketFacts
from integrations.models import Connector, Ticket

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
    "raw": "jsonb",
}
_JSON = {"components", "labels", "raw"}


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
        "raw": dict(ticket.raw),
    }


def _latest_per_id(tickets: Iterable[NormalizedTicket]) -> list[NormalizedTicket]:
    """One row per external id (the newest), as one statement may touch a row only once."""
    latest: dict[str, NormalizedTicket] = {}
    for ticket in tickets:
        current = latest.get(ticket.external_id)
        if current is None or ticket.updated_at >= current.updated_at:
            latest[ticket.external_id] = ticket
    return list(latest.values())


def upsert_tickets(connector: Connector, tickets: Sequence[NormalizedTicket]) -> UpsertResult:
    rows = _latest_per_id(tickets)
    if not rows:
        return UpsertResult()
    values = [
        (t.external_id, ticket_values(t, blocking_priority=connector.blocking_priority))
        for t in rows
    ]
    if connection.vendor == "postgresql":
        return _upsert_postgresql(connector, values)
    return _upsert_portable(connector, values)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


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


def _upsert_postgresql(
    connector: Connector, rows: list[tuple[str, dict[str, Any]]]
) -> UpsertResult:
    table = Ticket._meta.db_table
    now = timezone.now()
    # The page travels as one JSON parameter, read back with jsonb_to_recordset: encoding
    # it is one C call, where per-column arrays cost a Python quoting pass per value.
    for external_id, values in rows:
        values["external_id"] = external_id  # the dicts are this function's own
    page = json.dumps([values for _, values in rows], default=_json_default, check_circular=False)
    record = ", ".join(["external_id text"] + [f"{c} {_PG_TYPES[c]}" for c in COLUMNS])
    names = ", ".join(COLUMNS)
    selected = ", ".join(f"v.{c}" for c in COLUMNS)
    excluded = ", ".join(f"EXCLUDED.{c}" for c in COLUMNS)
    current = ", ".join(f"t.{c}" for c in COLUMNS)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS)
    sql = f"""
        INSERT INTO {table} AS t (connector_id, external_id, {names},
                                  missing_from_source, first_seen_at, synced_at)
        SELECT %s, v.external_id, {selected}, false, %s, %s
          FROM jsonb_to_recordset(%s::jsonb) AS v({record})
        ON CONFLICT (connector_id, external_id) DO UPDATE
           SET {assignments}, missing_from_source = false, synced_at = EXCLUDED.synced_at
         WHERE ({current}, t.missing_from_source) IS DISTINCT FROM ({excluded}, false)
        RETURNING t.id, (t.xmax = 0) AS inserted, t.external_id
    """
    with _page_cursor() as cursor:
        cursor.execute(sql, [connector.pk, now, now, page])
        returned = cursor.fetchall()
    created = sum(1 for _, inserted, _ in returned if inserted)
    by_id = dict(rows)
    return UpsertResult(
        created=created,
        updated=len(returned) - created,
        unchanged=len(rows) - len(returned),
        changed_ids=[pk for pk, _, _ in returned],
        changed_facts=[_facts(pk, by_id[external_id]) for pk, _, external_id in returned],
        created_ids=[pk for pk, inserted, _ in returned if inserted],
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
        changed, [*COLUMNS, "missing_from_source", "synced_at"], batch_size=500
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
