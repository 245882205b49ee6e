"""The app's real processes on private services, for breaking them (tests/faults/).

A PostgreSQL cluster of its own (initdb in a temporary folder, a free port, run as the
``postgres`` user) and a redis-server of its own: the suite stops and starts them, never
the machine's shared ones. The simulated source runs in the test's process, so the test
sees exactly what the source holds; the worker and beat are real processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from cataligent.crypto import encrypt
from integrations.simulator import SimulatorServer
from tests.faults.processes import PrivateRedis, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Short leases, so that a killed worker's connector is free again within seconds.
LEASE_SECONDS = 8
RESULTS = ROOT / "var" / "faults" / "results.jsonl"


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


class PrivatePostgres:
    """A PostgreSQL 15 cluster in ``workdir`` on a free port, trust authentication."""

    def __init__(self) -> None:
        self.port = free_port()
        # Its own folder: pytest's temporary folders are private to root, and the cluster
        # runs as postgres.
        self.home = Path(tempfile.mkdtemp(prefix="cataligent-faults-pg-"))
        self.home.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
        self.dir = self.home / "pgdata"
        self.log = self.home / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/faults"
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres",
                "--auth=trust", "--no-sync", "-E", "UTF8",
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.log),
                "-o", options, "-w", "start",
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        """As an outage: at once, connections cut."""
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop"),
            capture_output=True,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        )

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []


def _env(postgres: PrivatePostgres, workdir: Path, redis: PrivateRedis | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=postgres.url,
        CATALIGENT_VAR_DIR=str(workdir / "var"),
        CELERY_TASK_ALWAYS_EAGER="0",
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="1",
        SECRET_KEY=os.environ.get("SECRET_KEY", "insecure-key-for-tests-only"),
        # The test's own key (pyproject.toml), with which connector_create encrypts.
        FIELD_ENCRYPTION_KEY=os.environ["FIELD_ENCRYPTION_KEY"],
        SYNC_LEASE_SECONDS=str(LEASE_SECONDS),
        RECOMPUTE_LEASE_SECONDS=str(LEASE_SECONDS),
        SYNC_BOOKKEEPING_RETRY_SECONDS="120",
        SYNC_RECONCILE_HOUR="-1",
        # Beat looks for due syncs every 3 s (production: 15 s), and recomputes every 10 s.
        SYNC_SCHEDULE_SECONDS="3",
        RECOMPUTE_SCHEDULE_SECONDS="10",
        LOG_FORMAT="plain",
    )
    if redis is not None:
        env["REDIS_URL"] = redis.url
    return env


@dataclass
class AppStack:
    """Worker and beat of the app on ``postgres`` and (when given) ``redis``, else the
    embedded filesystem broker."""

    postgres: PrivatePostgres
    workdir: Path
    redis: PrivateRedis | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**_env(self.postgres, self.workdir, self.redis), **self.extra_env}

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode:
            raise AssertionError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self, name: str) -> subprocess.Popen[bytes]:
        command = {
            "worker": [
                *("worker", "--pool", "prefork", "--concurrency", "2"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            "beat": ["beat", "--schedule", str(self.workdir / "beat-schedule")],
        }[name]
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cataligent", *command, "--loglevel", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (the pool): no clean-up of any kind."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill(name)
            self.processes.pop(name, None)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def database_reset(postgres: PrivatePostgres) -> None:
    postgres.query(
        "TRUNCATE integrations_connector, integrations_ticket, integrations_syncrun, "
        "integrations_quarantinedrecord, integrations_webhookdelivery CASCADE"
    )


def connector_create(
    stack: AppStack, server: SimulatorServer, *, page_size: int = 100, poll_interval: int = 3600
) -> None:
    """The connector, as an admin would make it (its secret encrypted with the app's key)."""
    stack.postgres.query(
        "INSERT INTO integrations_connector (slug, name, kind, base_url, auth_type, username, "
        "secret_encrypted, webhook_secret_encrypted, query, poll_interval, enabled, "
        "blocking_priority, blocker_labels, status_map, priority_map, options, page_size, "
        "last_error, claimed_by, sync_requested_full, created_at, updated_at) VALUES "
        "('faults', 'Faults', 'servicenow', %s, 'basic', 'admin', %s, '', '', %s, true, 2, "
        "'[]', '{}', '{}', '{}', %s, '', '', false, now(), now())",
        server.base_url,
        encrypt("admin"),
        poll_interval,
        page_size,
    )


@dataclass
class Mirror:
    """How the mirror compares with the source now."""

    lost: int
    duplicated: int
    extra: int
    stale: int
    running: int
    claimed: int

    @property
    def exact(self) -> bool:
        return not (self.lost or self.duplicated or self.extra or self.stale)


def mirror_compare(postgres: PrivatePostgres, server: SimulatorServer) -> Mirror:
    with server.store.lock:
        source = {
            sys_id: record.sys_updated_on
            for sys_id, record in server.store.incidents._by_id.items()
        }
    rows = postgres.query(
        "SELECT external_id, (extract(epoch FROM updated_at))::bigint FROM integrations_ticket "
        "WHERE NOT missing_from_source"
    )
    mirrored: dict[str, int] = {}
    duplicated = 0
    for external_id, updated in rows:
        duplicated += external_id in mirrored
        mirrored[external_id] = updated
    (running,) = postgres.query(
        "SELECT count(*) FROM integrations_syncrun WHERE outcome='running'"
    )[0]
    (claimed,) = postgres.query(
        "SELECT count(*) FROM integrations_connector WHERE claimed_by <> ''"
    )[0]
    return Mirror(
        lost=len(source.keys() - mirrored.keys()),
        duplicated=duplicated,
        extra=len(mirrored.keys() - source.keys()),
        stale=sum(1 for i, at in mirrored.items() if i in source and _epoch(source[i]) != at),
        running=running,
        claimed=claimed,
    )


def _epoch(sys_updated_on: Any) -> int:
    """The simulator's sys_updated_on as seconds since the epoch."""
    if isinstance(sys_updated_on, int):
        return sys_updated_on
    return int(sys_updated_on.timestamp())


def mirror_exact_within(
    postgres: PrivatePostgres, server: SimulatorServer, *, timeout: float
) -> tuple[float, Mirror]:
    """Seconds until the mirror equals the source with nothing running or claimed."""
    started = time.monotonic()
    last: Mirror | None = None

    def settled() -> bool:
        nonlocal last
        try:
            last = mirror_compare(postgres, server)
        except psycopg.OperationalError:
            return False
        return last.exact and not last.running and not last.claimed

    try:
        wait_until(settled, "the mirror to equal the source", timeout=timeout)
    except BaseException:
        print(f"last comparison: {last}")
        raise
    assert last is not None
    return time.monotonic() - started, last


def result_record(fault: str, seconds: float, mirror: Mirror, note: str = "") -> None:
    """One row of docs/benchmarks.md's fault table (make faults prints them at the end)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(
            json.dumps(
                {
                    "fault": fault,
                    "lost": mirror.lost,
                    "duplicated": mirror.duplicated,
                    "left_running": mirror.running,
                    "left_claimed": mirror.claimed,
                    "recovery_seconds": round(seconds, 1),
                    "note": note,
                }
            )
            + "\n"
        )
