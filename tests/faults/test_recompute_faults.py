"""A worker killed in the middle of an impact recompute: the next one takes over.

The recompute's lease (cataligent/leases.py) runs out RECOMPUTE_LEASE_SECONDS after the
kill; beat's periodic recompute then computes what was asked. Before, the lease was ten
minutes and nothing was recomputed meanwhile.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.processes import PrivateRedis, wait_until
from tests.faults.stack import ROOT, AppStack, Mirror, PrivatePostgres, result_record

pytestmark = pytest.mark.faults

GOAL = 120.0
NODES = 10_000


@pytest.fixture
def big_graph(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator[None]:
    """An organisation whose full recompute takes a few seconds (bench/generate.py)."""
    import subprocess

    stack = AppStack(private_postgres, tmp_path)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from bench.generate import organisation_of_size\n"
            "from bench.impact_db import _fill\n"
            f"_fill(organisation_of_size({NODES}))",
        ],
        cwd=ROOT,
        env={**stack.env, "DJANGO_SETTINGS_MODULE": "cataligent.settings"},
        check=True,
        capture_output=True,
        timeout=180,
    )
    yield
    private_postgres.query(
        "TRUNCATE dependencies_node, dependencies_edge, objectives_objective, "
        "integrations_connector, integrations_ticket CASCADE"
    )
    private_postgres.query(
        "UPDATE dependencies_impactstate SET claimed_by = '', claimed_until = NULL"
    )


def test_worker_killed_mid_recompute(
    big_graph: None,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> None:
    stack = AppStack(private_postgres, tmp_path, private_redis)
    try:
        stack.start("worker")
        stack.start("beat")  # its first tick asks for a forced recompute

        def state() -> tuple[str, int, int]:
            rows = private_postgres.query(
                "SELECT claimed_by, requested, computed FROM dependencies_impactstate"
            )
            return rows[0] if rows else ("", 0, 0)

        wait_until(lambda: state()[0] != "", "a recompute to hold the lease", timeout=90)
        stack.kill("worker")
        killed = time.monotonic()
        private_postgres.query("UPDATE dependencies_impactstate SET requested = requested + 1")
        stack.start("worker")

        def done() -> bool:
            claimed_by, requested, computed = state()
            return claimed_by == "" and computed >= requested

        wait_until(done, "the recompute to be taken over and finished", timeout=GOAL + 30)
        seconds = time.monotonic() - killed
        result_record(
            "worker SIGKILL mid-recompute",
            seconds,
            Mirror(lost=0, duplicated=0, extra=0, stale=0, running=0, claimed=0),
            note=f"{NODES:,} technical nodes; tickets n/a",
        )
        assert seconds <= GOAL
    finally:
        stack.stop_all()
