"""The product's processes as production runs them, for the benchmarks that talk HTTP:
gunicorn with `deploy/gunicorn.conf.py` and a Celery worker, DEBUG off, on 127.0.0.1.

Plain HTTP (no TLS proxy in front), so the HTTPS redirect is off; static files are served
unhashed (no `collectstatic` needed). Everything else is the production configuration.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(port: int) -> dict[str, str]:
    """The environment of a production process (DEBUG off), on plain HTTP at 127.0.0.1.
    FIELD_ENCRYPTION_KEY must be set already (the caller shares it with its own process)."""
    return {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


def start_web(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "cataligent.wsgi"],
        cwd=ROOT,
        env=production_env(port) | {"WEB_CONCURRENCY": str(workers)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def start_worker(queues: str, log: Path) -> subprocess.Popen[bytes]:
    """One worker process on `queues`, as `worker-recompute` runs (prefork, concurrency 1)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cataligent",
            "worker",
            "-Q",
            queues,
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=production_env(0),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_up(base: str, processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in processes:
            if p.poll() is not None:
                sys.exit(f"{p.args} exited with {p.returncode}; see its log")
        try:
            if requests.get(f"{base}/health/live", timeout=5).ok:
                return
        except requests.RequestException:  # not listening yet, or still starting its workers
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not come up within {timeout:.0f} s")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
