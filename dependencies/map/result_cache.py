"""The map's reads kept while the stored results they were read from hold.

Per process, a few recent reads. The pages' parts (the drawn map, the blocked table, the
bottleneck ranking, the dashboard's figures) are also shared by the web processes through
the Django cache (Redis in production) and built by one process at a time: gunicorn runs
several processes, and without it each built the same read after every change while the
requests sent to it waited (at 250,000 nodes a read takes seconds). A process that finds
another building waits for its result, for at most `SHARED_WAIT` seconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)
T = TypeVar("T")
SHARED_WAIT = 30.0
# Long enough for the other processes to read it; short, because Redis is also the broker
# (noeviction, docs/operations.md): a busy hour of versions must not pile up in it.
SHARED_SECONDS = 30
_MISSING = object()


class ResultCache:
    """Keyed by the impact version, the structure counter and `computed_at` (which differs
    after a database is restored or recreated, when the counters may repeat), plus the
    question asked. Many people looking at the same map then cost one read per change."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._namespace = ""  # the same in every process, until `clear`

    def get_or_make(
        self, key: tuple[Any, ...], make: Callable[[], T], *, shared: bool = False
    ) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
        value = self._shared(key, make) if shared else make()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget this process's reads, and stop reading those shared before (tests)."""
        with self._lock:
            self._entries.clear()
            self._namespace = uuid.uuid4().hex

    def shared_name(self, key: tuple[Any, ...]) -> str:
        # repr of ints, strings, datetimes and frozen dataclasses: the same in every process.
        text = f"{self._namespace}|{connection.settings_dict['NAME']}|{key!r}"
        return "map-result:" + hashlib.sha256(text.encode()).hexdigest()

    def _shared(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        name = self.shared_name(key)
        try:
            found = cache.get(name, _MISSING)
            if found is not _MISSING:
                return found  # type: ignore[no-any-return]
            building = cache.add(f"{name}:building", os.getpid(), timeout=int(SHARED_WAIT))
        except Exception:  # the shared cache is a help, not a need: read it here instead
            log.warning("shared map cache unavailable; reading in this process", exc_info=True)
            return make()
        if building:
            try:
                value = make()  # its own errors are the caller's, not the cache's
                _quietly(cache.set, name, value, timeout=SHARED_SECONDS)
            finally:
                _quietly(cache.delete, f"{name}:building")
            return value
        found = _wait_for(name)
        return make() if found is _MISSING else found  # type: ignore[no-any-return]


def _wait_for(name: str) -> Any:
    """What another process is building under `name`, or _MISSING when it gave up, failed or
    took longer than SHARED_WAIT (then the caller builds it)."""
    deadline = time.monotonic() + SHARED_WAIT
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            found = cache.get(name, _MISSING)
            if found is not _MISSING:
                return found
            if cache.get(f"{name}:building") is None:
                break  # the builder failed or gave up: build it here
    except Exception:
        log.warning("shared map cache unavailable; reading in this process", exc_info=True)
    return _MISSING


def _quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except Exception:
        log.warning("shared map cache unavailable; kept in this process only", exc_info=True)
