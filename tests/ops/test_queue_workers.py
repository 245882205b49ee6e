"""Two real Celery workers on two queues: one syncs, the other recomputes (issue 15).

As deploy/docker-compose.yml runs them: each worker consumes only its queue, and the
request id the sync was queued under follows it into the recompute the sync queues.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from cataligent import log_context
from dependencies.models import ImpactState, Node
from integrations.models import LinkRule, SyncRun, Ticket
from integrations.simulator import LENDING_API_CI, SimulatorServer, make_server
from tests.factories import NodeFactory
from tests.sync.conftest import make_connector

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker processes need a database they can share: PostgreSQL (CI runs it)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(queue: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONNECTOR_ALLOW_PRIVATE_NETWORKS": "1",
        "LOG_FORMAT": "json",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cataligent",
            "worker",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def simulator() -> Any:
    server = make_server("127.0.0.1", 0, seed=7, tickets=120, jira_issues=20)
    server.start()
    yield server
    server.close()


@pytest.fixture
def workers(tmp_path: Path) -> Any:
    import redis

    # Tasks left in these queues by an earlier run would be taken first.
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("sync", "recompute")
    logs = {queue: tmp_path / f"{queue}.log" for queue in ("sync", "recompute")}
    processes = {queue: _start_worker(queue, path) for queue, path in logs.items()}
    yield processes, logs
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(check: Any, what: str, processes: dict[str, Any], logs: dict[str, Path]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if check():
            return
        for queue, process in processes.items():
            if process.poll() is not None:
                pytest.fail(f"the {queue} worker exited:\n{logs[queue].read_text()}")
        time.sleep(0.3)
    pytest.fail(
        f"timed out waiting for {what}:\n" + "\n".join(p.read_text() for p in logs.values())
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # Celery's banner is printed, not logged
    return lines


def test_sync_and_recompute_run_on_their_own_workers(
    simulator: SimulatorServer, workers: Any
) -> None:
    from cataligent.celery import app
    from integrations.tasks import sync_connector_task

    processes, logs = workers
    api = NodeFactory(slug="core-banking-lending-api", kind="integration")
    LinkRule.objects.create(field="ci", pattern=LENDING_API_CI, node=api)
    snow = make_connector(simulator)
    jira = make_connector(simulator, kind="jira")
    app.conf.task_always_eager = False
    token = log_context.request_id.set("req-two-workers")
    try:
        for connector in (snow, jira):
            sync_connector_task.delay(connector.pk, trigger="test")
    finally:
        log_context.request_id.reset(token)
        app.conf.task_always_eager = True

    _wait_for(
        lambda: SyncRun.objects.filter(outcome="succeeded").count() == 2,
        "both syncs",
        processes,
        logs,
    )
    _wait_for(
        lambda: Node.objects.get(slug="core-banking-lending-api").state == "blocked",
        "the recompute",
        processes,
        logs,
    )
    _wait_for(
        lambda: (s := ImpactState.objects.get()).computed == s.requested,
        "the recompute to catch up",
        processes,
        logs,
    )
    assert Ticket.objects.filter(connector=snow).count() == len(simulator.store.incidents)
    assert Ticket.objects.filter(connector=jira).exists()
    assert not SyncRun.objects.exclude(outcome="succeeded").exists()

    sync_lines, recompute_lines = _lines(logs["sync"]), _lines(logs["recompute"])
    # Each task ran once, on one worker: a message delivered to both queues would show twice.
    ran = [
        line["task_id"]
        for line in sync_lines + recompute_lines
        if line.get("task_id")
        and line["message"].startswith("Task ")
        and " succeeded in " in line["message"]
    ]
    assert len(ran) == len(set(ran)) >= 3
    ran_on_sync = {line.get("task") for line in sync_lines} - {None}
    ran_on_recompute = {line.get("task") for line in recompute_lines} - {None}
    assert ran_on_sync == {"integrations.tasks.sync_connector_task"}
    assert ran_on_recompute == {"dependencies.tasks.recompute_impact"}
    # The id the syncs were queued under is in their lines, with their connector and run,
    # and in the recompute the syncs queued, in the other worker.
    finished = [line for line in sync_lines if "succeeded:" in line["message"]]
    assert {line["connector"] for line in finished} == {snow.slug, jira.slug}
    assert all(line["request_id"] == "req-two-workers" and line["sync_run"] for line in finished)
    assert any(line.get("request_id") == "req-two-workers" for line in recompute_lines)
