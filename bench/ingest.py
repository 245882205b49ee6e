"""Ingest benchmark (issue 4): tickets from the simulated ServiceNow into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev .venv/bin/python -m bench.ingest
    ... -m bench.ingest --tickets 10000            # one quick size, no memory comparison
    ... -m bench.ingest --log-events 0             # skip the incident-log replay

Not a test: it prints the numbers next to the targets. ``DATABASE_URL`` names the server
(its database is only used to create and drop a fresh ``cataligent_bench_<pid>`` per run).

Each measurement runs in a fresh Python process of its own (so its peak memory is its own)
with a fresh, migrated database, against the simulator in yet another process
(bench/simulator_process.py: its CPU and memory do not count). The sync is the product's:
``integrations.sync.sync_connector``, pages of 1,000, through the guarded HTTP client.

1. First sync of N generated incidents (by default N = 25,000 and 100,000, to show how
   memory grows): tickets/s end to end, and the time inside ``upsert_tickets`` and
   ``link_tickets`` during it; peak RSS (``getrusage`` ru_maxrss) of the benchmark process.
2. A second sync with no changes, ``full=True`` so every ticket is read again: tickets/s,
   and the rows it wrote (``pg_stat_user_tables`` n_tup_ins / n_tup_upd deltas: must be 0).
   Then the write stage alone: the ticket table is emptied, the source read once more (not
   timed), and each page is written by ``upsert_tickets`` (one INSERT … ON CONFLICT a page)
   and, for comparison, by a plain psycopg COPY of the same normalized rows into a staging
   table of the ticket table's shape (its indexes included); both timed from the page of
   normalized tickets to the commit, with nothing else running in the process (during a
   sync the next page is read meanwhile, which slows each upsert but not the sync).
3. The real incident log (../shared/data/servicenow_incident_event_log.csv.gz, 119,998
   events of 20,769 incidents) replayed into the simulator in batches as live updates
   (``IncidentLogReplay.apply(at=now)``), with an incremental sync after each batch.

The surroundings (fresh database, Django, the simulator child) are bench/ingest_harness.py;
the report and its targets bench/ingest_report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.ingest_harness import (
    REPO,
    TICKET_TABLE,
    Simulator,
    fresh_database,
    make_connector,
    peak_rss_mb,
    rate,
    setup_django,
    table_writes,
)
from bench.ingest_report import (
    MEMORY_TARGET_MB,
    check,
    machine_description,
    report_log,
    report_tickets,
)

DEFAULT_SIZES = (25_000, 100_000)

# --- the measuring child -----------------------------------------------------------------


@dataclass
class Stopwatch:
    seconds: float = 0.0
    calls: int = 0
    rows: int = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1
                if len(args) > 1 and hasattr(args[1], "__len__"):
                    self.rows += len(args[1])

        return timed


@dataclass
class SyncNumbers:
    tickets: int
    seconds: float
    write_seconds: float
    link_seconds: float
    pages: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    rows_inserted: int  # pg_stat_user_tables deltas
    rows_updated: int
    received: int  # records the source sent, re-reads of the overlap window included

    @property
    def per_second(self) -> float:
        return rate(self.tickets, self.seconds)

    @property
    def write_per_second(self) -> float:
        return rate(self.tickets, self.write_seconds)


@dataclass
class TicketsResult:
    tickets: int
    page_size: int
    setup_rss_mb: float
    peak_rss_mb: float
    first: SyncNumbers
    second: SyncNumbers
    write_alone_seconds: float
    copy_seconds: float
    copy_indexes: list[str] = field(default_factory=list)


def _timed_sync(connector: Any, *, full: bool) -> SyncNumbers:
    import integrations.ingest as ingest_module
    import integrations.sync as sync_module
    from integrations.connectors.base import Connector as Source

    # The sync writes each page through integrations.ingest, which calls these two.
    write, link = Stopwatch(), Stopwatch()
    upsert, link_tickets = ingest_module.upsert_tickets, ingest_module.link_tickets
    ingest_module.upsert_tickets = write.wrap(upsert)  # type: ignore[assignment]
    ingest_module.link_tickets = link.wrap(link_tickets)  # type: ignore[assignment]
    # Records the source sent, including those the cursor dropped as already processed.
    received = 0
    fetch_pages = Source.fetch_pages

    def counted(self: Any, cursor: Any) -> Any:
        nonlocal received
        for page in fetch_pages(self, cursor):
            received += page.received
            yield page

    Source.fetch_pages = counted  # type: ignore[method-assign]
    try:
        connector.refresh_from_db()
        before = table_writes()
        started = time.perf_counter()
        run = sync_module.sync_connector(connector=connector, full=full, trigger="benchmark")
        seconds = time.perf_counter() - started
        after = table_writes()
    finally:
        ingest_module.upsert_tickets, ingest_module.link_tickets = upsert, link_tickets
        Source.fetch_pages = fetch_pages  # type: ignore[method-assign]
    assert run is not None and run.outcome == "succeeded", run and run.error
    return SyncNumbers(
        tickets=run.fetched,
        seconds=seconds,
        write_seconds=write.seconds,
        link_seconds=link.seconds,
        pages=run.pages,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
        rows_inserted=after[0] - before[0],
        rows_updated=after[1] - before[1],
        received=received,
    )


def _write_stage_and_copy(connector: Any) -> dict[str, Any]:
    """The write stage alone, and a plain COPY of the same normalized rows, page by page.

    The source is read once more with the pure connector (not timed). For each page, into
    an emptied ticket table: ``upsert_tickets`` (what the sync calls) and, for comparison,
    psycopg's COPY into a staging table of the ticket table's shape (columns, defaults,
    constraints and indexes). Each is timed from the page of normalized tickets to the rows
    committed, alone (no read-ahead running), alternating which goes first.
    """
    import psycopg
    from django.db import connection, transaction
    from django.utils import timezone

    from integrations.connectors import connector_for
    from integrations.sync import connector_config
    from integrations.ticket_store import _JSON, COLUMNS, ticket_values, upsert_tickets

    staging = "bench_ticket_staging"
    columns = ("connector_id", "external_id", *COLUMNS, "missing_from_source")
    columns += ("first_seen_at", "synced_at")
    copy_sql = f"COPY {staging} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TICKET_TABLE} CASCADE")
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TABLE {staging} (LIKE {TICKET_TABLE} INCLUDING ALL)")
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [staging])
        indexes = sorted(name for (name,) in cursor.fetchall())

    def write(page: Any) -> float:
        started = time.perf_counter()
        with transaction.atomic():
            upsert_tickets(connector, page.tickets)
        return time.perf_counter() - started

    def copy(page: Any) -> float:
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            raw: psycopg.Cursor[Any] = cursor.cursor
            with raw.copy(copy_sql) as rows:
                for ticket in page.tickets:
                    values = ticket_values(ticket, blocking_priority=connector.blocking_priority)
                    rows.write_row(
                        (
                            connector.pk,
                            ticket.external_id,
                            *(json.dumps(values[c]) if c in _JSON else values[c] for c in COLUMNS),
                            False,
                            now,
                            now,
                        )
                    )
        return time.perf_counter() - started

    write_seconds = copy_seconds = 0.0
    rows = 0
    with connector_for(connector_config(connector)) as source:
        for number, page in enumerate(source.fetch_pages(None)):
            if number % 2:
                copy_seconds += copy(page)
                write_seconds += write(page)
            else:
                write_seconds += write(page)
                copy_seconds += copy(page)
            rows += len(page.tickets)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {staging}")
    return {
        "rows": rows,
        "write_seconds": write_seconds,
        "copy_seconds": copy_seconds,
        "copy_indexes": indexes,
    }


def _measure_tickets(tickets: int, page_size: int, database_url: str) -> dict[str, Any]:
    with fresh_database(database_url) as url:
        setup_django(url)
        simulator = Simulator(tickets)
        try:
            connector = make_connector(simulator.base_url, page_size)
            setup_rss = peak_rss_mb()
            first = _timed_sync(connector, full=False)
            second = _timed_sync(connector, full=True)
            peak = peak_rss_mb()  # before the write/COPY comparison, which is not the product
            alone = _write_stage_and_copy(connector)
        finally:
            simulator.close()
    result = TicketsResult(
        tickets=tickets,
        page_size=page_size,
        setup_rss_mb=setup_rss,
        peak_rss_mb=peak,
        first=first,
        second=second,
        write_alone_seconds=alone["write_seconds"],
        copy_seconds=alone["copy_seconds"],
        copy_indexes=alone["copy_indexes"],
    )
    return asdict(result)


def _measure_log(events: int | None, batch: int, page_size: int, database_url: str) -> dict:
    with fresh_database(database_url) as url:
        setup_django(url)
        simulator = Simulator(0)
        try:
            connector = make_connector(simulator.base_url, page_size)
            _timed_sync(connector, full=False)  # the empty source: the cursor starts
            totals: dict[str, float] = dict.fromkeys(
                ("events", "applied", "syncs", "seconds", "write_seconds", "received",
                 "fetched", "created", "updated", "unchanged", "rejected", "rows_inserted",
                 "rows_updated"),
                0,
            )  # fmt: skip
            slowest = 0.0
            exhausted = False
            while not exhausted and (events is None or totals["events"] < events):
                size = batch if events is None else min(batch, events - int(totals["events"]))
                replayed = simulator.command(f"replay {size}")
                exhausted = bool(replayed["exhausted"])
                totals["events"] += replayed["rows"]
                totals["applied"] += replayed["applied"]
                if not replayed["rows"]:
                    break
                numbers = _timed_sync(connector, full=False)
                totals["syncs"] += 1
                totals["seconds"] += numbers.seconds
                totals["write_seconds"] += numbers.write_seconds
                totals["fetched"] += numbers.tickets
                totals["received"] += numbers.received
                for name in ("created", "updated", "unchanged", "rejected"):
                    totals[name] += getattr(numbers, name)
                totals["rows_inserted"] += numbers.rows_inserted
                totals["rows_updated"] += numbers.rows_updated
                slowest = max(slowest, numbers.seconds)
            incidents = simulator.command("status")["incidents"]
            from integrations.models import Ticket

            mirrored = Ticket.objects.count()
        finally:
            simulator.close()
    return {
        **totals,
        "batch": batch,
        "incidents": incidents,
        "mirrored": mirrored,
        "slowest_sync": slowest,
        "peak_rss_mb": peak_rss_mb(),
    }


# --- the orchestrating parent -------------------------------------------------------------


def _child(arguments: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.ingest", *arguments],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step {arguments} failed ({completed.returncode})")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--tickets",
        type=int,
        action="append",
        help="tickets in the source (repeatable; default 25,000 and 100,000)",
    )
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--log-events", type=int, default=None, help="log events to replay (default all; 0 skips)"
    )
    parser.add_argument("--log-batch", type=int, default=10_000, help="events per replay batch")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    parser.add_argument("--step", choices=("tickets", "log"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server (postgres://...)")

    if args.step == "tickets":
        print(json.dumps(_measure_tickets(args.tickets[0], args.page_size, database_url)))
        return
    if args.step == "log":
        events = args.log_events
        print(json.dumps(_measure_log(events, args.log_batch, args.page_size, database_url)))
        return

    sizes = args.tickets or list(DEFAULT_SIZES)
    header = ["Ingest benchmark (bench/ingest.py)", *machine_description(database_url), ""]
    print("\n".join(header), flush=True)
    results: dict[str, Any] = {"tickets": [], "log": None}
    for size in sizes:
        step = ["--step", "tickets", "--tickets", str(size), "--page-size", str(args.page_size)]
        result = _child(step)
        results["tickets"].append(result)
        print("\n".join(report_tickets(result)), flush=True)
    if len(results["tickets"]) > 1:
        peaks = sorted((r["tickets"], r["peak_rss_mb"]) for r in results["tickets"])
        (small, small_mb), (big, big_mb) = peaks[0], peaks[-1]
        per_thousand = (big_mb - small_mb) / (big - small) * 1000
        line = (
            f"[{check(big_mb <= MEMORY_TARGET_MB)}] peak memory by size: "
            + ", ".join(f"{n:,}: {mb:.0f} MB" for n, mb in peaks)
            + f" (target <= {MEMORY_TARGET_MB} MB at 100k); growth {big_mb - small_mb:+.0f} MB "
            f"for {big - small:+,} tickets = {per_thousand:.2f} MB per 1,000 (flat would be 0)"
        )
        print(line, flush=True)
    if args.log_events != 0:
        step = ["--step", "log", "--log-batch", str(args.log_batch)]
        step += ["--page-size", str(args.page_size)]
        if args.log_events is not None:
            step += ["--log-events", str(args.log_events)]
        results["log"] = _child(step)
        print("\n".join(report_log(results["log"])), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
