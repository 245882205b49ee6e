"""/metrics under real gunicorn with several workers: whichever answers, the sum of all."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-scrape-token"
REQUESTS = 40

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Any:
    from django.db import connection

    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "deploy/gunicorn.conf.py",
            "cataligent.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{process.stdout.read()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base, tmp_path / "prometheus"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _live_count(base: str) -> float:
    body = httpx.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).text
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if (
                sample.name == "cataligent_http_requests_total"
                and sample.labels.get("view") == "health-live"
            ):
                return sample.value
    return 0


def test_every_worker_reports_the_sum_of_all(gunicorn: Any) -> None:
    base, directory = gunicorn
    start = _live_count(base)  # the readiness poll above made a request or two
    sent = 0
    pids: set[str] = set()
    # Until both workers have served (on a busy machine the second one boots later);
    # bounded, so a single-worker regression fails instead of looping.
    for _batch in range(10):
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(lambda _: httpx.get(f"{base}/health/live").status_code, range(REQUESTS))
            )
        assert answers == [200] * REQUESTS
        sent += REQUESTS
        pids = {path.stem.rsplit("_", 1)[-1] for path in directory.glob("counter_*.db")}
        if len(pids) >= 2:
            break
    # Both workers served and wrote their own counts.
    assert len(pids) >= 2, pids
    # Each scrape, whichever worker answers it, sees all of them.
    assert {_live_count(base) - start for _ in range(8)} == {sent}
