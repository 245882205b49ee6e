"""A real Celery worker on Redis runs the sync and the recompute it triggers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from dependencies.models import ImpactState, Node
from integrations.models import LinkRule, SyncRun, Ticket
from integrations.simulator import LENDING_API_CI, SimulatorServer
from tests.factories import NodeFactory
from tests.sync.conftest import make_connector

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker process needs a database it can share: PostgreSQL (CI runs it)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker() -> Any:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONNECTOR_ALLOW_PRIVATE_NETWORKS": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cataligent",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(check: Any, what: str, worker: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.stdout.read()}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_worker_syncs_and_recomputes(simulator: SimulatorServer, worker: Any) -> None:
    from cataligent.celery import app
    from integrations.tasks import sync_connector_task

    api = NodeFactory(slug="core-banking-lending-api", kind="integration")
    LinkRule.objects.create(field="ci", pattern=LENDING_API_CI, node=api)
    connector = make_connector(simulator)
    app.conf.task_always_eager = False
    try:
        sync_connector_task.delay(connector.pk, trigger="test")
    finally:
        app.conf.task_always_eager = True
    _wait_for(
        lambda: SyncRun.objects.filter(outcome="succeeded").exists(), "the sync to finish", worker
    )
    assert Ticket.objects.count() == len(simulator.store.incidents)
    # The sync queued the recompute after its commit; the worker ran it too.
    _wait_for(
        lambda: Node.objects.get(slug="core-banking-lending-api").state == "blocked",
        "the recompute",
        worker,
    )
    state = ImpactState.objects.get()
    assert state.computed == state.requested
