"""The Celery app. Broker: Redis when REDIS_URL is set, else an embedded filesystem broker."""

from __future__ import annotations

import logging.config
import os
from contextvars import Token
from pathlib import Path
from typing import Any

from celery import Celery, signals

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


@signals.setup_logging.connect
def _django_logging(loglevel: Any = None, **kwargs: Any) -> None:
    """Workers and beat log as the web app does (LOG_FORMAT), not in Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# The request id (and user) travel in the task's message headers: a task queued while a
# request is answered logs with that request's id, in whatever worker runs it.
@signals.before_task_publish.connect
def _send_log_context(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from cataligent import log_context

    if headers is None:
        return
    rid = log_context.request_id.get()
    if rid:
        headers.setdefault("cataligent_request_id", rid)
    user = log_context.username()
    if user:
        headers.setdefault("cataligent_user", user)


_restore: dict[str, list[tuple[Any, Token[Any]]]] = {}


@signals.task_prerun.connect
def _restore_log_context(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    from cataligent import log_context

    request = getattr(task, "request", None)
    # Run in place (eager, in tests) the caller's id is already set; a task beat queued
    # starts its own, so that everything it logs, and queues, shares one id.
    rid = getattr(request, "cataligent_request_id", None) or log_context.request_id.get() or task_id
    user = getattr(request, "cataligent_user", None) or log_context.task_user.get()
    _restore[task_id] = [
        (log_context.request_id, log_context.request_id.set(rid)),
        (log_context.task_user, log_context.task_user.set(user)),
        (log_context.task_name, log_context.task_name.set(getattr(task, "name", None))),
        (log_context.task_id, log_context.task_id.set(task_id)),
    ]


@signals.task_postrun.connect
def _forget_log_context(task_id: str = "", **kwargs: Any) -> None:
    # A worker process runs many tasks: one task's ids must not leak into the next's lines.
    for var, token in reversed(_restore.pop(task_id, [])):
        var.reset(token)
