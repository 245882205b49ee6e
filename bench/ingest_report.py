"""What the ingest benchmark (bench/ingest.py) prints: the machine, and each measurement
next to its target (issue 4)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from bench.ingest_harness import rate

# Targets of issue 4, on a 2-core machine.
END_TO_END_TARGET = 5_000  # tickets/s, first sync
WRITE_TARGET = 10_000  # tickets/s, write stage
COPY_RATIO_TARGET = 3.0  # write stage time / COPY time
RESYNC_TARGET = 20_000  # tickets/s, second sync with no changes
MEMORY_TARGET_MB = 300  # peak at 100k


def machine_description(database_url: str) -> list[str]:
    import psycopg

    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with psycopg.connect(database_url) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        settings = dict(
            connection.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
                [["shared_buffers", "synchronous_commit", "fsync", "wal_level"]],
            ).fetchall()
        )
    os_name = ""
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    return [
        f"CPU: {os.cpu_count()} cores ({cpu}); RAM {memory}; {os_name}, "
        f"kernel {platform.release()}",
        f"Python {platform.python_version()}; PostgreSQL {version[0] if version else '?'} "
        f"on 127.0.0.1 ({', '.join(f'{k}={v}' for k, v in sorted(settings.items()))})",
    ]


def check(ok: bool) -> str:
    return "ok " if ok else "MISS"


def report_tickets(result: dict[str, Any]) -> list[str]:
    first, second = result["first"], result["second"]
    n = result["tickets"]
    first_rate = rate(first["tickets"], first["seconds"])
    alone = result["write_alone_seconds"]
    write_rate = rate(n, alone)
    ratio = alone / result["copy_seconds"]
    resync_rate = rate(second["tickets"], second["seconds"])
    written = second["rows_inserted"] + second["rows_updated"]
    return [
        f"{n:,} tickets, {result['page_size']:,} a page ({first['pages']} pages):",
        f"  [{check(first_rate >= END_TO_END_TARGET)}] first sync end to end: "
        f"{first['seconds']:.2f} s = {first_rate:,.0f} tickets/s "
        f"(target >= {END_TO_END_TARGET:,}); created {first['created']:,}, "
        f"rows inserted {first['rows_inserted']:,}",
        f"         inside it: upserts {first['write_seconds']:.2f} s, linking "
        f"{first['link_seconds']:.2f} s (while the next page is read)",
        f"  [{check(write_rate >= WRITE_TARGET)}] write stage alone: {alone:.2f} s = "
        f"{write_rate:,.0f} tickets/s (target >= {WRITE_TARGET:,})",
        f"  [{check(ratio <= COPY_RATIO_TARGET)}] write stage / plain COPY of the same rows: "
        f"{alone:.2f} s / {result['copy_seconds']:.2f} s = {ratio:.2f}x "
        f"(target <= {COPY_RATIO_TARGET:.0f}x; COPY {rate(n, result['copy_seconds']):,.0f} "
        f"rows/s into a staging table with the same {len(result['copy_indexes'])} indexes)",
        f"  [{check(resync_rate >= RESYNC_TARGET and written == 0)}] second sync, full, no "
        f"changes: {second['seconds']:.2f} s = {resync_rate:,.0f} tickets/s "
        f"(target >= {RESYNC_TARGET:,}); unchanged {second['unchanged']:,}; rows written: "
        f"{second['rows_inserted']} inserted, {second['rows_updated']} updated (target 0)",
        f"         inside it: upserts {second['write_seconds']:.2f} s",
        f"  peak memory (ru_maxrss): {result['peak_rss_mb']:.0f} MB "
        f"(after set-up {result['setup_rss_mb']:.0f} MB)",
    ]


def report_log(result: dict[str, Any]) -> list[str]:
    seconds = result["seconds"]
    return [
        f"Real incident log replayed as live updates, {int(result['batch']):,} events a batch, "
        f"an incremental sync after each:",
        f"  {int(result['events']):,} events ({int(result['applied']):,} applied) of "
        f"{int(result['incidents']):,} incidents in {int(result['syncs'])} syncs: "
        f"{seconds:.2f} s syncing = {rate(result['events'], seconds):,.0f} events/s; "
        f"slowest sync {result['slowest_sync']:.2f} s",
        f"  records the source sent {int(result['received']):,} "
        f"({rate(result['received'], seconds):,.0f}/s; the overlap window's re-reads "
        f"included), new versions {int(result['fetched']):,}: created "
        f"{int(result['created']):,}, updated {int(result['updated']):,}, unchanged "
        f"{int(result['unchanged']):,}, quarantined {int(result['rejected']):,}; "
        f"upserts {result['write_seconds']:.2f} s",
        f"  mirror holds {int(result['mirrored']):,} tickets; rows inserted "
        f"{int(result['rows_inserted']):,}, updated {int(result['rows_updated']):,}; "
        f"peak memory {result['peak_rss_mb']:.0f} MB",
    ]
