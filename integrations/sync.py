"""Sync orchestration, written once for every connector (DESIGN §4, STYLE.md).

claim the connector (a lease: exactly one run per connector at a time, and a
dead worker's lease simply expires) → record the SyncRun first → page through
the source, and for each page in one transaction: upsert the tickets,
quarantine what could not be read, update links, advance the cursor → record
counts → let the impact engine know what changed.

A run that dies half-way left every committed page with its cursor, so the
next run resumes there: nothing lost, nothing duplicated.

When a connector syncs (beat's schedule, owed syncs, interrupted runs) is
integrations/sync_schedule.py; the next page is read while one is written by
integrations/read_ahead.py.
"""

from __future__ import annotations

import logging
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from cataligent import log_context
from cataligent.crypto import SecretUnreadable
from cataligent.leases import Lease, LeaseLost
from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    ConnectorError,
    Page,
    connector_for,
)
from integrations.ingest import PagePlace, tickets_ingest, tickets_mark_missing
from integrations.linking import CompiledRule, rules_for
from integrations.models import Connector, QuarantinedRecord, SyncRun, Ticket
from integrations.read_ahead import read_ahead
from integrations.services import connector_options_learned
from integrations.storable import storable_text
from integrations.sync_schedule import RECONCILE, runs_interrupted

log = logging.getLogger(__name__)


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


def sync_lease(connector: Connector, owner: str | None = None) -> Lease:
    """The connector's lease: one run at a time (cataligent/leases.py)."""
    return Lease(
        Connector,
        connector.pk,
        duration=timedelta(seconds=settings.SYNC_LEASE_SECONDS),
        owner=owner,
    )


def connector_claim(connector: Connector, owner: str) -> bool:
    return sync_lease(connector, owner).claim()


def sync_request(connector: Connector, *, full: bool = False) -> None:
    """Ask for a sync as soon as the connector is free (beat queues it): a sync asked for
    while another run holds the connector is owed, not dropped."""
    now = timezone.now()
    Connector.objects.filter(pk=connector.pk, sync_requested_at__isnull=True).update(
        sync_requested_at=now
    )
    if full:
        Connector.objects.filter(pk=connector.pk).update(sync_requested_full=True)


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
    lease = sync_lease(connector)
    if not lease.claim():
        sync_request(connector, full=full)
        log.info("sync of %s put off: another run holds it; it runs next", connector.slug)
        return None
    runs_interrupted(connector=connector, alive=lease.owner)
    connector.refresh_from_db()
    full = full or connector.sync_requested_full or trigger == RECONCILE
    verify = verify or trigger == RECONCILE
    now = timezone.now()
    lease.write(sync_requested_at=None, sync_requested_full=False, last_attempt_at=now)
    run = SyncRun.objects.create(
        connector=connector,
        trigger=trigger,
        full=full,
        worker=lease.owner,
        started_at=now,
        heartbeat_at=now,
        cursor_before=connector.cursor,
    )
    log_context.bind_sync_run(run.pk)
    seen = SeenIds()
    closing: dict[str, Any] = {}
    try:
        rules = rules_for(connector)
        source = connector_for(connector_config(connector), **(connector_options or {}))
        read_from = None if full else connector.cursor
        pages = source.fetch_pages(read_from)
        with source, read_ahead(pages) as ahead, lease.kept():
            for number, page in enumerate(ahead, start=1):
                _page_commit(
                    connector, run, lease, page, rules, PagePlace(number, read_from), verify
                )
                read_from = page.cursor
                if full:
                    seen.update(t.external_id for t in page.tickets)
                    seen.update(r.external_id for r in page.rejected if r.external_id)
                if on_page is not None:
                    on_page(run)
            if full:
                run.marked_missing += _mark_missing(connector, lease, seen)
            else:
                _quarantined_reread(connector, run, lease, source, rules)
        # What the source told about itself (RT: the offset of its query dates), kept.
        connector_options_learned(
            connector=connector, learned=source.learned_options(), actor=None, actor_label="sync"
        )
        run.outcome = SyncRun.Outcome.SUCCEEDED
        closing.update(last_success_at=timezone.now(), last_error="")
        if trigger == RECONCILE:
            closing["reconciled_at"] = timezone.now()
            run.warnings = [*run.warnings, _repaired(run)]
    except LeaseLost:
        # Too slow to renew (a long pause) and another run took over: it owns the cursor now.
        run.outcome = SyncRun.Outcome.INTERRUPTED
        run.error = (
            "Another run took over this connector while this one was paused; that run carries "
            "on from the last page committed."
        )
        log.warning("sync of %s lost its lease to another run", connector.slug)
    except ConnectorError as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.error = str(exc) + (
            " — this will not pass on its own: check the connector's URL, credentials and query."
            if exc.permanent
            else " — will be retried at the next sync."
        )
        closing["last_error"] = run.error[:2000]
        log.warning("sync of %s failed: %s", connector.slug, run.error)
    except DatabaseError as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.error = (
            f"The database could not be reached during this run ({type(exc).__name__}: "
            f"{str(exc).strip()[:300]}). Every page committed before is kept; a new run "
            "resumes from there as soon as the database is back."
        )
        closing.update(last_error=run.error[:2000], sync_requested_at=timezone.now())
        log.warning("sync of %s stopped: the database is unreachable", connector.slug)
    except Exception as exc:  # recorded on the run and the connector, then raised for the logs
        run.outcome = SyncRun.Outcome.FAILED
        run.error = f"Unexpected error: {type(exc).__name__}: {exc}"
        closing["last_error"] = run.error[:2000]
        _run_close(run, lease, closing)
        raise
    _run_close(run, lease, closing)
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


_PROGRESS = ("pages", "fetched", "created", "updated", "unchanged", "rejected")


def _page_commit(
    connector: Connector,
    run: SyncRun,
    lease: Lease,
    page: Page,
    rules: list[CompiledRule],
    place: PagePlace,
    verify: bool = False,
) -> None:
    """One page and its cursor in one transaction, under the lease (LeaseLost rolls it back)."""
    with transaction.atomic():
        counts = tickets_ingest(
            connector=connector,
            tickets=page.tickets,
            rejected=page.rejected,
            rules=rules,
            reason=f"sync of {connector.slug}",
            run=run,
            place=place,
            verify=verify,
        )
        deleted = _deleted_mark(connector, page.deleted) if page.deleted else 0
        lease.write(cursor=page.cursor)
        progress: dict[str, Any] = {
            "pages": run.pages + 1,
            "marked_missing": run.marked_missing + deleted,
            "fetched": run.fetched + counts.fetched,
            "created": run.created + counts.created,
            "updated": run.updated + counts.updated,
            "unchanged": run.unchanged + counts.unchanged,
            "rejected": run.rejected + counts.rejected,
            "cursor_after": page.cursor,
            "warnings": _with_warnings(run.warnings, page.warnings),
            "heartbeat_at": timezone.now(),
        }
        SyncRun.objects.filter(pk=run.pk).update(**progress)
    # Only what was committed counts on the run.
    for name, value in progress.items():
        setattr(run, name, value)
    run.resolved = getattr(run, "resolved", 0) + counts.resolved


def _deleted_mark(connector: Connector, external_ids: tuple[str, ...]) -> int:
    """The tickets a page says the source deleted (Zendesk's export carries them; JSM
    Operations: a read by id answered 404), marked missing by the ingest step's rule, as a
    full sync would mark them."""
    return tickets_mark_missing(
        connector=connector,
        tickets=Ticket.objects.filter(
            connector=connector,
            external_id__in=[storable_text(i) for i in external_ids],
            missing_from_source=False,
        ),
        reason=f"sync of {connector.slug}: deleted in the source",
    )


def _quarantined_reread(
    connector: Connector, run: SyncRun, lease: Lease, source: Any, rules: list[CompiledRule]
) -> None:
    """Read again, by id, the records quarantined earlier: a source that sent a garbled
    copy once usually sends it whole later, and the cursor has moved past it. A failed
    re-read is a warning on the run, not its failure: its pages are committed, and one id
    the source refuses (kept from a hostile webhook, say) would fail every run after."""
    ids = list(
        QuarantinedRecord.objects.filter(connector=connector, resolved_at__isnull=True)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
        .distinct()[:REREAD_AT_MOST]
    )
    if not ids:
        return
    try:
        page = source.fetch_records(ids)
    except ConnectorError as exc:
        warning = f"Quarantined records could not be read again this run: {exc}"
        run.warnings = _with_warnings(run.warnings, (warning[:500],))
        log.warning("sync of %s: %s", connector.slug, warning)
        return
    if page is None:
        return  # this tool cannot read records by id; the daily reconciliation repairs them
    fresh = Page(
        tickets=page.tickets, rejected=(), cursor=connector_cursor(connector), is_last=True
    )
    _page_commit(connector, run, lease, fresh, rules, PagePlace(run.pages + 1, None))


# Quarantined ids read again per run; the rest wait for the next runs.
REREAD_AT_MOST = 500


def connector_cursor(connector: Connector) -> Any:
    return Connector.objects.filter(pk=connector.pk).values_list("cursor", flat=True).first()


def _repaired(run: SyncRun) -> str:
    return (
        f"Reconciliation: {run.created} ticket(s) missing from the mirror were added, "
        f"{run.updated} that differed from the source were rewritten, {run.marked_missing} "
        f"gone from the source were marked missing, {getattr(run, 'resolved', 0)} "
        "quarantined record(s) are now mirrored."
    )


def _run_close(run: SyncRun, lease: Lease, closing: dict[str, Any]) -> None:
    """Record the outcome and let go of the connector, in one transaction, retried while the
    database is away: release and record succeed together, so a claim never outlives its
    run's record (and, if the database stays away, the lease runs out on its own)."""
    run.finished_at = timezone.now()
    if run.trigger == RECONCILE and run.outcome != SyncRun.Outcome.SUCCEEDED:
        closing["reconciled_at"] = None  # not done: due again within the hour
    deadline = time.monotonic() + settings.SYNC_BOOKKEEPING_RETRY_SECONDS
    delay = 0.5
    while True:
        try:
            with transaction.atomic():
                run.save()
                lease.release(**closing)
            return
        except DatabaseError:
            if time.monotonic() >= deadline:
                log.error(
                    "run %s of %s could not be recorded: the database stayed away; its lease "
                    "runs out on its own",
                    run.pk,
                    run.connector_id,
                )
                return
            log.warning("database away; recording run %s again in %.1f s", run.pk, delay)
            db_connection.close()  # reconnect on the next try
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


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


def _mark_missing(connector: Connector, lease: Lease, seen: SeenIds) -> int:
    """Tickets the source no longer returns: kept, flagged, and no longer blocking."""
    stored = Ticket.objects.filter(connector=connector, missing_from_source=False).values_list(
        "id", "external_id"
    )
    gone = [pk for pk, external_id in stored.iterator(chunk_size=10000) if external_id not in seen]
    count = 0
    with transaction.atomic():
        lease.write()  # under the lease, as every write of a run
        for start in range(0, len(gone), 5000):
            count += tickets_mark_missing(
                connector=connector,
                tickets=Ticket.objects.filter(pk__in=gone[start : start + 5000]),
                reason=f"full sync of {connector.slug}: tickets gone from the source",
            )
    return count
