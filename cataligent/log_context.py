"""What a log line is about: the request, the user, the connector, the sync run (issue 15).

Values live in context variables, so they follow a request through everything it calls and
are restored in the Celery tasks it queues (the request id travels in the task's headers,
cataligent/celery.py). `ContextFilter` copies them onto every log record.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils.functional import empty

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_request: ContextVar[Any] = ContextVar("current_request", default=None)
connector_slug: ContextVar[str | None] = ContextVar("connector_slug", default=None)
sync_run_id: ContextVar[int | None] = ContextVar("sync_run_id", default=None)
task_user: ContextVar[str | None] = ContextVar("task_user", default=None)
task_name: ContextVar[str | None] = ContextVar("task_name", default=None)
task_id: ContextVar[str | None] = ContextVar("task_id", default=None)

# An id a client or proxy sends is kept only if it is short and plain: it is written to
# every log line and echoed in a header.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(given: str | None) -> str:
    if given and _ACCEPTABLE_ID.fullmatch(given):
        return given
    return new_request_id()


@contextmanager
def bound(*, connector: str | None = None, sync_run: int | None = None) -> Iterator[None]:
    """Name the connector and sync run in every log line written inside; whatever is bound
    inside (`bind_sync_run`) is undone on the way out."""
    tokens = [
        (connector_slug, connector_slug.set(connector or connector_slug.get())),
        (sync_run_id, sync_run_id.set(sync_run or sync_run_id.get())),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_sync_run(run_id: int) -> None:
    """The run exists only once the connector is claimed; call inside `bound`."""
    sync_run_id.set(run_id)


def username() -> str | None:
    """The user of the current request, once it has been looked up (never a query here),
    else the user a task was queued by."""
    request = current_request.get()
    if request is not None:
        user = getattr(request, "user", None)
        if user is None or getattr(user, "_wrapped", None) is empty:
            return None  # not looked up yet: a log filter must not query the session
        return user.get_username() if user.is_authenticated else None
    return task_user.get()


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user = username()
        record.connector = connector_slug.get()
        record.sync_run = sync_run_id.get()
        record.task = task_name.get()
        record.task_id = task_id.get()
        return True
