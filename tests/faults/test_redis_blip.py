"""Redis stops for a few seconds while a real worker runs a task; the worker carries on.

Before cataligent/broker.py, a prefork worker with two processes died at the moment Redis
went away ("Unrecoverable error: AttributeError(\"'NoneType' object has no attribute
'hostname'\")") and never came back. Its own Redis on a free port: the machine's shared
one is never stopped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery

from tests.faults.processes import PrivateRedis, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(redis_server: PrivateRedis, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "worker.log").open("wb")
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CATALIGENT_VAR_DIR": str(tmp_path / "var"),
    }
    # Two pool processes, as in docker-compose and the demo: the broken close happens
    # with a task running while another process waits.
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "cataligent", "worker"),
            *("--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--include", "tests.faults.blip_tasks"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait(timeout=5)
    log.close()


def _send(url: str, *args: object) -> None:
    """Queue ``faults.nap`` from a client of its own (a fresh connection every time)."""
    client = Celery("probe", broker=url)
    try:
        client.send_task("faults.nap", args=args, queue="cataligent")
    finally:
        client.close()


def _log(tmp_path: Path) -> str:
    return (tmp_path / "worker.log").read_text(errors="replace")


def test_worker_survives_redis_stopping_under_a_running_task(
    redis_server: PrivateRedis, worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    def alive_and(check: Callable[[], bool]) -> Callable[[], bool]:
        def both() -> bool:
            if worker.poll() is not None:
                pytest.fail(f"the worker exited ({worker.returncode}):\n{_log(tmp_path)[-4000:]}")
            return check()

        return both

    wait_until(alive_and(lambda: "ready." in _log(tmp_path)), "the worker to start", timeout=30)
    first, second = tmp_path / "first", tmp_path / "second"
    _send(redis_server.url, 6, str(first))
    wait_until(alive_and(lambda: "received" in _log(tmp_path)), "the task to start", timeout=10)

    redis_server.stop()
    time.sleep(4)
    redis_server.start()

    wait_until(
        alive_and(lambda: _log(tmp_path).count("Connected to") >= 2),
        "the worker to reconnect",
        timeout=30,
    )
    _send(redis_server.url, 0, str(second))
    wait_until(alive_and(second.exists), "the new task to run", timeout=15)
    assert worker.poll() is None
    assert "Unrecoverable error" not in _log(tmp_path)
