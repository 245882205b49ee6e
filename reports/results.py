"""A report's result for the filters asked, read the same way by the page, the API and the
fragments (the command always computes afresh).

A report that sets `cache_seconds` is kept in the map's result cache while nothing it reads
has changed: the key follows the stored impact results and the audit marker (as the map's
reads do), plus the newest ticket change, link and state transition, and the clock in steps
of `cache_seconds`. The default window ("the last N days up to now") is keyed by that step
rather than by its end, so people asking within the same few minutes share one result.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max

from dependencies.map.drawing import cached, change_marker
from dependencies.models import StateTransition
from dependencies.recompute.loader import impact_state
from integrations.models import Ticket, TicketLink
from reports.registry import Chart, Report, Result, Table
from reports.window import Window, parse_window

DATED = ("from", "to", "period")
T = TypeVar("T")


class Built:
    """A report built for a window: the result, and what the surfaces make of it, each made
    once however many people read it (the tables and the JSON of a large organisation take
    longer to make than to send)."""

    def __init__(self, report: Report, window: Window, result: Result) -> None:
        self.report = report
        self.window = window  # the window the result is for (a cached default one ended earlier)
        self.result = result
        self._fragments: dict[str, str] = {}
        self._lock = threading.Lock()

    def fragment(self, key: str, render: Callable[[], str]) -> str:
        """A rendered part of the page for this report, by the page's query (eight kept)."""
        with self._lock:
            if key in self._fragments:
                return self._fragments[key]
        html = render()  # render_to_string's str: shown as it is
        with self._lock:
            if len(self._fragments) >= 8:
                self._fragments.pop(next(iter(self._fragments)))
            self._fragments[key] = html
        return html

    @cached_property
    def tables(self) -> list[Table]:
        return self.report.tables(self.result)

    @cached_property
    def charts(self) -> list[Chart]:
        return self.report.charts(self.result)

    @cached_property
    def json(self) -> bytes:
        body = self.result | {"window": window_json(self.window)}
        return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def window_json(window: Window) -> dict[str, Any]:
    return {
        "from": window.first_day.isoformat(),
        "to": window.last_day.isoformat(),
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "period": window.period.name if window.period else None,
        "team": window.team.slug if window.team else None,
    }


def report_for(report: Report, params: Mapping[str, str]) -> Built:
    """Parse the filters (`WindowError` names a bad one) and build, or reuse, the report."""
    window = parse_window(params)
    if report.cache_seconds <= 0:
        return Built(report, window, report.build(window))
    step = int(time.time() // report.cache_seconds)
    dated = any((params.get(name) or "").strip() for name in DATED)
    span: tuple[Any, ...] = (window.start, window.end) if dated else ("default", step)
    key = (*span, window.team.pk if window.team else None, step)
    return built_once(report.name, key, lambda: Built(report, window, report.build(window)))


def built_once(name: str, key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """`build()`, or what it built before for `name` and `key` while nothing a report reads
    has changed: the stored impact results, the audit marker, the newest ticket change, link
    and state transition. The key carries the caller's own parts (window, clock step)."""
    key = (
        "report",
        name,
        *key,
        *_newest(),
    )
    state, marker = impact_state(), change_marker()
    # One build at a time for each name in this process: people arriving while it runs wait
    # and then read its result, rather than each building the same thing at once.
    with _lock_of(name):
        return cached(key, build, state=state, marker=marker)


def _newest() -> tuple[Any, ...]:
    """The newest ticket change, link and state transition: three index reads."""
    return (
        *newest_ticket_change(),
        StateTransition.objects.order_by("-id").values_list("id", flat=True).first(),
    )


def newest_ticket_change() -> tuple[Any, ...]:
    """The newest ticket change and link: two index reads."""
    return (
        Ticket.objects.aggregate(Max("updated_at"))["updated_at__max"],
        TicketLink.objects.order_by("-id").values_list("id", flat=True).first(),
    )


def kept_like_a_report(name: str, build: Callable[[], T], *, seconds: int = 300) -> T:
    """`build()` for the default window, kept as `report_for` keeps a report: while nothing
    it reads has changed, for at most `seconds` (the dashboard's tiles, the digest page)."""
    return built_once(name, (int(time.time() // seconds),), build)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_of(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())
