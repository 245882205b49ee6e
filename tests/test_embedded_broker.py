"""The embedded (filesystem) broker works on a fresh checkout: nothing to create by hand."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SEND = """
import django
django.setup()
from dependencies.tasks import recompute_impact
recompute_impact.delay()
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**env, "CATALIGENT_VAR_DIR": str(var_dir), "CELERY_TASK_ALWAYS_EAGER": "0"}


def test_sending_a_task_creates_the_broker_folders(tmp_path: Path) -> None:
    var_dir = tmp_path / "fresh" / "var"
    result = subprocess.run(
        [sys.executable, "-c", SEND],
        cwd=ROOT,
        env={**_env(var_dir), "DJANGO_SETTINGS_MODULE": "cataligent.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((var_dir / "broker").iterdir())) == 1  # the message, waiting for a worker
    assert (var_dir / "broker-control").is_dir()


def test_a_worker_starts_on_a_fresh_var_dir(tmp_path: Path) -> None:
    var_dir = tmp_path / "fresh" / "var"
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "cataligent", "worker", "--pool", "solo"),
                *("--without-gossip", "--without-mingle", "--loglevel", "INFO"),
            ],
            cwd=ROOT,
            env=_env(var_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 40
            while "ready." not in log_path.read_text() and time.monotonic() < deadline:
                assert worker.poll() is None, log_path.read_text()
                time.sleep(0.2)
            assert "ready." in log_path.read_text(), log_path.read_text()
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    assert (var_dir / "broker").is_dir()
