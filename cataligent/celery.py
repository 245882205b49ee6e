"""The Celery app. Broker: Redis when REDIS_URL is set, else an embedded filesystem broker."""

import os
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")

app = Celery("cataligent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The folders of kombu's filesystem transport (settings.py, under CATALIGENT_VAR_DIR).
FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_broker_folders(sender: Celery, **kwargs: Any) -> None:
    """The filesystem broker does not create its folders: a worker started on a fresh
    checkout would die on FileNotFoundError and sending a task would fail. Made here,
    before any connection, in every process that uses the app (web, worker, beat)."""
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in FILESYSTEM_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
