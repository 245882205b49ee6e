"""Sync orchestration, written once for every connector (DESIGN §4, STYLE.md).

claim the connector (a lease: exactly one run per connector at a time, and a
dead worker's lease simply expires) → record the SyncRun first → page through
the source, and for each page in one transaction: upsert the tickets,
quarantine what could not be read, update links, advance the cursor → record
counts → let the impact engine know what changed.

A run that dies half-way left every committed page with its cursor, so the
next run resumes there: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import socket
import threading
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cataligent import log_context
from cataligent.crypto import SecretUnreadable
from dependencies.recompute import impact_changed
from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    ConnectorError,
    Page,
    Rejected,
    connector_for,
)
from integrations.linking import link_tickets, rules_for
from integrations.models import Connector, QuarantinedRecord, SyncRun, Ticket, TicketLink
from integrations.storable import storable, storable_text
from integrations.ticket_store import upsert_tickets

log = logging.getLogger(__name__)

# Longer than any one page takes; renewed after every page.
LEASE = timedelta(minutes=10)


def connector_config(connector: Connector) -> ConnectorConfig:
    """The pure connector's configuration, with the secret decrypted for this run only.

    A secret that cannot be decrypted (the encryption key changed) is a configuration
    error like any other: permanent, shown on the connector, never a crash.
    """
    try:
        secret = connector.get_secret()
    except SecretUnreadable as exc:
        raise ConfigurationError(str(exc)) from None
    return ConnectorConfig(
        kind=connector.kind,
        base_url=connector.base_url,
        auth_type=connector.auth_type,  # type: ignore[arg-type]
        username=connector.username,
        secret=secret,
        query=connector.query,
        status_map=connector.status_map or {},
        priority_map=connector.priority_map or {},
        blocking_priority=connector.blocking_priority,
        blocker_labels=tuple(connector.blocker_labels or ()),
        page_size=connector.page_size,
        allow_private_networks=settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS,
        options=connector.options or {},
    )


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def connector_claim(connector: Connector, owner: str) -> bool:
    now = timezone.now()
    return (
        Connector.objects.filter(pk=connector.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=owner))
        .update(claimed_by=owner, claimed_until=now + LEASE)
        == 1
    )


def connector_release(connector: Connector, owner: str) -> None:
    Connector.objects.filter(pk=connector.pk, claimed_by=owner).update(
        claimed_by="", claimed_until=None
    )


class PagesAhead:
    """The source's pages, each read while the caller writes the one before.

    Reading a page is mostly waiting for the source and normalizing; writing one is mostly
    waiting for PostgreSQL: overlapping them took about a third off the ingest benchmark's
    syncs (bench/ingest.py). Safe because a page is only a proposal until the caller commits
    it with its cursor: a page read ahead and never written (the run stopped) is read again
    by the next run. One page at most is in flight, so memory stays flat.

    One reading thread serves the whole run, asked for each page in turn; ``close`` (which
    ``read_ahead`` calls) stops it, so always use it through ``read_ahead``.
    """

    def __init__(self, pages: Iterator[Page]) -> None:
        self._pages = pages
        self._asks: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._answers: queue.SimpleQueue[tuple[Page | None, BaseException | None]] = (
            queue.SimpleQueue()
        )
        self._asked = False
        # The reader logs as the sync does: same request id, connector and run.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._serve,), name="sync-read-ahead", daemon=True
        )
        self._thread.start()
        self._ask()

    def _serve(self) -> None:
        while self._asks.get():
            try:
                self._answers.put((next(self._pages, None), None))
            except BaseException as exc:  # raised in the caller's thread by __next__
                self._answers.put((None, exc))

    def _ask(self) -> None:
        self._asked = True
        self._asks.put(True)

    def __iter__(self) -> PagesAhead:
        return self

    def __next__(self) -> Page:
        if not self._asked:
            raise StopIteration
        page, error = self._answers.get()
        self._asked = False
        if error is not None:
            raise error
        if page is None:
            raise StopIteration
        if not page.is_last:
            self._ask()
        return page

    def close(self, timeout: float = 60.0) -> None:
        """Let a read in flight finish (the source's client closes next), then stop."""
        self._asks.put(False)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("a read from the source is still running; leaving it behind")
            return
        close = getattr(self._pages, "close", None)
        if close is not None:
            close()


@contextmanager
def read_ahead(pages: Iterator[Page]) -> Iterator[PagesAhead]:
    ahead = PagesAhead(pages)
    try:
        yield ahead
    finally:
        ahead.close()


@dataclass
class PageCounts:
    fetched: int
    created: int
    updated: int
    unchanged: int
    rejected: int


def _quarantine(connector: Connector, run: SyncRun, rejected: tuple[Rejected, ...]) -> None:
    rows = []
    for record in rejected:
        raw: Any = record.raw
        raw_text = ""
        if not isinstance(raw, dict | list | str | int | float | bool | type(None)):
            raw, raw_text = None, repr(record.raw)[:10000]
        rows.append(
            QuarantinedRecord(
                connector=connector,
                sync_run=run,
                external_id=storable_text(record.external_id or "")[:200],
                reason=storable_text(record.reason),
                raw=storable(raw),
                raw_text=raw_text,
            )
        )
    QuarantinedRecord.objects.bulk_create(rows)


def _apply_page(
    connector: Connector, run: SyncRun, page: Page, rules: Any, *, verify: bool = False
) -> PageCounts:
    """One page, in the caller's transaction."""
    stored = upsert_tickets(connector, page.tickets, verify=verify)
    _quarantine(connector, run, page.rejected)
    links = link_tickets(
        stored.changed_ids,
        connector=connector,
        rules=rules,
        facts=stored.changed_facts,
        created=stored.created_ids,
    )
    # The impact moves when a ticket linked to a node changed or a link to a node moved.
    if links.linked_to_nodes:
        impact_changed(reason=f"sync of {connector.slug}")
    Connector.objects.filter(pk=connector.pk).update(
        cursor=page.cursor, claimed_until=timezone.now() + LEASE
    )
    return PageCounts(
        fetched=len(page.tickets) + len(page.rejected),
        created=stored.created,
        updated=stored.updated,
        unchanged=stored.unchanged,
        rejected=len(page.rejected),
    )


def sync_connector(
    *,
    connector: Connector,
    full: bool = False,
    verify: bool = False,
    trigger: str = "manual",
    on_page: Callable[[SyncRun], None] | None = None,
    connector_options: dict[str, Any] | None = None,
) -> SyncRun | None:
    """Run one sync of `connector`. Returns None when another run holds the connector.

    `full` reads everything from the start and marks tickets the source no
    longer returns. `verify` (with `full`) compares every ticket's values with the
    source's instead of trusting the stored fingerprints, and rewrites the ones that
    differ: a repair after the mirror was edited or restored by other means.
    `connector_options` go to the pure connector (tests pass a sleep that does not sleep).
    """
    with log_context.bound(connector=connector.slug):
        return _sync(
            connector=connector,
            full=full,
            verify=verify,
            trigger=trigger,
            on_page=on_page,
            connector_options=connector_options,
        )


def _sync(
    *,
    connector: Connector,
    full: bool,
    verify: bool,
    trigger: str,
    on_page: Callable[[SyncRun], None] | None,
    connector_options: dict[str, Any] | None,
) -> SyncRun | None:
    owner = _owner()
    if not connector_claim(connector, owner):
        log.info("sync of %s skipped: another run holds it", connector.slug)
        return None
    connector.refresh_from_db()
    now = timezone.now()
    run = SyncRun.objects.create(
        connector=connector,
        trigger=trigger,
        full=full,
        worker=owner,
        started_at=now,
        heartbeat_at=now,
        cursor_before=connector.cursor,
    )
    log_context.bind_sync_run(run.pk)
    Connector.objects.filter(pk=connector.pk).update(last_attempt_at=now)
    seen = SeenIds()
    try:
        rules = rules_for(connector)
        source = connector_for(connector_config(connector), **(connector_options or {}))
        pages = source.fetch_pages(None if full else connector.cursor)
        with source, read_ahead(pages) as ahead:
            for page in ahead:
                with transaction.atomic():
                    counts = _apply_page(connector, run, page, rules, verify=verify)
                    run.pages += 1
                    run.fetched += counts.fetched
                    run.created += counts.created
                    run.updated += counts.updated
                    run.unchanged += counts.unchanged
                    run.rejected += counts.rejected
                    run.cursor_after = page.cursor
                    run.warnings = _with_warnings(run.warnings, page.warnings)
                    run.heartbeat_at = timezone.now()
                    run.save(
                        update_fields=[
                            "pages",
                            "fetched",
                            "created",
                            "updated",
                            "unchanged",
                            "rejected",
                            "cursor_after",
                            "warnings",
                            "heartbeat_at",
                        ]
                    )
                if full:
                    seen.update(t.external_id for t in page.tickets)
                    seen.update(r.external_id for r in page.rejected if r.external_id)
                if on_page is not None:
                    on_page(run)
        if full:
            run.marked_missing = _mark_missing(connector, seen)
        run.outcome = SyncRun.Outcome.SUCCEEDED
        finished = timezone.now()
        Connector.objects.filter(pk=connector.pk).update(last_success_at=finished, last_error="")
    except ConnectorError as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.error = str(exc) + (
            " — this will not pass on its own: check the connector's URL, credentials and query."
            if exc.permanent
            else " — will be retried at the next sync."
        )
        Connector.objects.filter(pk=connector.pk).update(last_error=run.error[:2000])
        log.warning("sync of %s failed: %s", connector.slug, run.error)
    except Exception as exc:  # recorded on the run and the connector, then raised for the logs
        run.outcome = SyncRun.Outcome.FAILED
        run.error = f"Unexpected error: {type(exc).__name__}: {exc}"
        Connector.objects.filter(pk=connector.pk).update(last_error=run.error[:2000])
        run.finished_at = timezone.now()
        run.save()
        connector_release(connector, owner)
        raise
    run.finished_at = timezone.now()
    run.save()
    connector_release(connector, owner)
    log.info(
        "sync of %s %s: %d fetched, %d created, %d updated, %d rejected",
        connector.slug,
        run.outcome,
        run.fetched,
        run.created,
        run.updated,
        run.rejected,
    )
    return run


# A run keeps this many warnings; a source that stamps every record in the future says
# so on every page, and the first ones tell the story.
MAX_RUN_WARNINGS = 20


def _with_warnings(kept: list[str], new: tuple[str, ...]) -> list[str]:
    if not new:
        return kept
    for warning in new:
        if len(kept) >= MAX_RUN_WARNINGS:
            log.warning("sync warning not kept on the run: %s", warning)
        else:
            kept = [*kept, warning]
    return kept


class SeenIds:
    """The external ids a full sync has read, as 8-byte hashes in an array.

    A set of the ids themselves costs about 100 bytes a ticket for the whole run and was
    the part of a full sync's memory that grew with the source (bench/ingest.py); this
    costs 8 (plus, once, a sorted list of the hashes, about 40 bytes an id, while the
    vanished tickets are looked for). Python's ``hash`` is only stable within one process,
    which is all a run needs. A collision would leave a vanished ticket unflagged until the
    next full sync: a chance of about n/2^64 for n tickets. Ids are compared as stored
    (integrations/storable.py).
    """

    def __init__(self) -> None:
        self._hashes = array("q")
        self._sorted = True

    def update(self, external_ids: Iterable[str]) -> None:
        self._hashes.extend(hash(storable_text(i)) for i in external_ids)
        self._sorted = False

    def __contains__(self, external_id: str) -> bool:
        if not self._sorted:
            self._hashes = array("q", sorted(self._hashes))
            self._sorted = True
        wanted = hash(external_id)
        at = bisect_left(self._hashes, wanted)
        return at < len(self._hashes) and self._hashes[at] == wanted


def _mark_missing(connector: Connector, seen: SeenIds) -> int:
    """Tickets the source no longer returns: kept, flagged, and no longer blocking."""
    stored = Ticket.objects.filter(connector=connector, missing_from_source=False).values_list(
        "id", "external_id"
    )
    gone = [pk for pk, external_id in stored.iterator(chunk_size=10000) if external_id not in seen]
    with transaction.atomic():
        for start in range(0, len(gone), 5000):
            Ticket.objects.filter(pk__in=gone[start : start + 5000]).update(
                missing_from_source=True, is_blocking=False
            )
        if gone and TicketLink.objects.filter(ticket_id__in=gone, node__isnull=False).exists():
            impact_changed(reason=f"full sync of {connector.slug}: tickets gone from the source")
    return len(gone)


def interrupted_runs_reconcile(*, stale_after: timedelta = LEASE) -> int:
    """Mark runs whose worker stopped sending heartbeats as interrupted.

    PostgreSQL, not the broker, is the source of truth: a run that was started and
    never finished (worker killed, broker restarted) shows here, and the next
    scheduled run resumes from the connector's committed cursor.
    """
    cutoff = timezone.now() - stale_after
    return SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING, heartbeat_at__lt=cutoff).update(
        outcome=SyncRun.Outcome.INTERRUPTED,
        finished_at=timezone.now(),
        error="The worker stopped during this run; the next run resumes from its last "
        "committed page.",
    )


def connectors_due(now: Any = None) -> list[Connector]:
    """Enabled connectors whose poll interval has passed since their last attempt."""
    now = now or timezone.now()
    due = []
    for connector in Connector.objects.filter(enabled=True):
        last = connector.last_attempt_at
        interval_passed = last is None or (now - last).total_seconds() >= connector.poll_interval
        free = connector.claimed_until is None or connector.claimed_until < now
        if interval_passed and free:
            due.append(connector)
    return due
