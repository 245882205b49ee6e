"""What the ingest benchmark (bench/ingest.py) runs in: a fresh database, Django set up on
it, the simulator as a child process (bench/simulator_process.py), the benchmark's
connector, and the ticket table's write counters."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
TICKET_TABLE = "integrations_ticket"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """A new empty database on the server of ``database_url``; dropped afterwards."""
    import psycopg

    name = f"cataligent_bench_{os.getpid()}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url(database_url, name)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Simulator:
    """bench/simulator_process.py as a child process, driven over its stdin/stdout."""

    def __init__(self, tickets: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.simulator_process", "--tickets", str(tickets)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        self.base_url = f"http://127.0.0.1:{hello['port']}"
        self.incidents = int(hello["incidents"])

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator stopped (exit {self.process.wait()})")
        return dict(json.loads(line))

    def command(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")
    os.environ.setdefault("SECRET_KEY", "insecure-key-for-the-benchmark-only")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA=")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    os.environ["CONNECTOR_ALLOW_PRIVATE_NETWORKS"] = "1"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def table_writes() -> tuple[int, int]:
    """(n_tup_ins, n_tup_upd) of the ticket table, with this backend's counts flushed."""
    from django.db import connection

    with connection.cursor() as cursor:
        # PostgreSQL 15+ flushes a backend's counters when it goes idle, at most once a
        # second; force it, then read without the per-transaction snapshot.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE relname = %s",
            [TICKET_TABLE],
        )
        inserted, updated = cursor.fetchone()
    return int(inserted), int(updated)


def make_connector(base_url: str, page_size: int) -> Any:
    from integrations.models import Connector

    connector = Connector(
        slug="bench-servicenow",
        name="Benchmark ServiceNow",
        kind="servicenow",
        base_url=base_url,
        username="admin",
        page_size=page_size,
    )
    connector.set_secret("admin")
    connector.save()
    return connector
