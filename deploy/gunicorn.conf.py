"""gunicorn's configuration for the web app (the image's default command).

Each worker is a process of its own: /metrics adds up their counts through the files in
PROMETHEUS_MULTIPROC_DIR, which must be emptied when gunicorn starts and told when a
worker exits (prometheus_client's multiprocess mode).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Set here, in the master, so that every worker it forks counts into the same files.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(tempfile.gettempdir()) / f"cataligent-prometheus-{os.getpid()}"),
)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gunicorn reads WEB_CONCURRENCY itself too; 2-4 per core (docs/operations.md).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Requests are logged by the app (with their request id); gunicorn logs errors only.
accesslog = None
errorlog = "-"


def on_starting(server: Any) -> None:
    # Counts left by a previous run would be added to this one's.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
