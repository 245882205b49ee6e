"""The one ingest step: what the sync does with each page and a webhook with each push.

In the caller's transaction: upsert the tickets, quarantine what could not be read (with
where it was), mark quarantined records resolved once their id is mirrored, bring the
links up to date, and tell the impact engine when a ticket linked to a node changed or a
link to a node moved. Tickets the source no longer has are marked missing here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dependencies.graph.changes import impact_changed
from integrations.connectors import NormalizedTicket, Rejected
from integrations.linking import CompiledRule, link_tickets
from integrations.models import Connector, QuarantinedRecord, SyncRun, Ticket, TicketLink
from integrations.storable import storable, storable_text
from integrations.ticket_store import upsert_tickets


@dataclass(frozen=True)
class PagePlace:
    """Where a page came from: the run's page number (1 = first) and the cursor it was
    read from, so that a record without a readable id can still be found."""

    number: int
    cursor: Any


@dataclass
class Ingested:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    resolved: int = 0  # quarantined records whose id is now mirrored

    @property
    def status(self) -> str:
        return "created" if self.created else "updated" if self.updated else "unchanged"


def tickets_ingest(
    *,
    connector: Connector,
    tickets: Sequence[NormalizedTicket],
    rejected: Sequence[Rejected] = (),
    rules: list[CompiledRule],
    reason: str,
    run: SyncRun | None = None,
    place: PagePlace | None = None,
    verify: bool = False,
) -> Ingested:
    """One page (or one push), in the caller's transaction."""
    stored = upsert_tickets(connector, tickets, verify=verify)
    quarantine(connector, rejected, run=run, place=place)
    resolved = _quarantine_resolve(connector, [t.external_id for t in tickets])
    links = link_tickets(
        stored.changed_ids,
        connector=connector,
        rules=rules,
        facts=stored.changed_facts,
        created=stored.created_ids,
    )
    if links.linked_to_nodes:
        impact_changed(nodes=links.affected_node_ids, reason=reason)
    return Ingested(
        fetched=len(tickets) + len(rejected),
        created=stored.created,
        updated=stored.updated,
        unchanged=stored.unchanged,
        rejected=len(rejected),
        resolved=resolved,
    )


def quarantine(
    connector: Connector,
    rejected: Sequence[Rejected],
    *,
    run: SyncRun | None = None,
    place: PagePlace | None = None,
    reason_prefix: str = "",
) -> None:
    rows = []
    for record in rejected:
        raw: Any = record.raw
        raw_text = ""
        if isinstance(raw, bytes):
            raw, raw_text = None, raw.decode("utf-8", "backslashreplace")[:10000]
        elif not isinstance(raw, dict | list | str | int | float | bool | type(None)):
            raw, raw_text = None, repr(record.raw)[:10000]
        rows.append(
            QuarantinedRecord(
                connector=connector,
                sync_run=run,
                external_id=storable_text(record.external_id or "")[:200],
                reason=storable_text(reason_prefix + record.reason),
                raw=storable(raw),
                raw_text=storable_text(raw_text),
                page_number=place.number if place else None,
                page_offset=record.position if place else None,
                page_cursor=storable(place.cursor) if place else None,
            )
        )
    QuarantinedRecord.objects.bulk_create(rows)


def _quarantine_resolve(connector: Connector, external_ids: list[str]) -> int:
    if not external_ids:
        return 0
    return QuarantinedRecord.objects.filter(
        connector=connector,
        resolved_at__isnull=True,
        external_id__in=[storable_text(i)[:200] for i in external_ids],
    ).update(resolved_at=timezone.now())


def tickets_mark_missing(*, connector: Connector, tickets: QuerySet[Ticket], reason: str) -> int:
    """Tickets the source no longer has: kept, flagged, and no longer blocking."""
    linked = set(
        TicketLink.objects.filter(ticket__in=tickets, node__isnull=False)
        .values_list("node_id", flat=True)
        .distinct()
    )
    count = tickets.update(missing_from_source=True, is_blocking=False)
    if count and linked:
        impact_changed(nodes=linked, reason=reason)
    return count
