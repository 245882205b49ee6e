"""A report's result for the filters asked, read the same way by the page, the API and the
fragments (the command always computes afresh).

A report that sets `cache_seconds` is kept in the map's result cache while nothing it reads
has changed: the key follows the stored impact results and the audit marker (as the map's
reads do), plus the newest ticket change, link and state transition, and the clock in steps
of `cache_seconds`. The default window ("the last N days up to now") is keyed by that step
rather than by its end, so people asking within the same few minutes share one result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from django.db.models import Max

from dependencies.map.drawing import cached, change_marker
from dependencies.models import StateTransition
from dependencies.recompute.loader import impact_state
from integrations.models import Ticket, TicketLink
from reports.registry import Report, Result
from reports.window import Window, parse_window

DATED = ("from", "to", "period")


def report_for(report: Report, params: Mapping[str, str]) -> tuple[Window, Result]:
    """Parse the filters (`WindowError` names a bad one) and build, or reuse, the result."""
    window = parse_window(params)
    if report.cache_seconds <= 0:
        return window, report.build(window)
    step = int(time.time() // report.cache_seconds)
    dated = any((params.get(name) or "").strip() for name in DATED)
    span: tuple[Any, ...] = (window.start, window.end) if dated else ("default", step)
    key = (
        "report",
        report.name,
        *span,
        window.team.pk if window.team else None,
        Ticket.objects.aggregate(Max("updated_at"))["updated_at__max"],
        TicketLink.objects.order_by("-id").values_list("id", flat=True).first(),
        StateTransition.objects.order_by("-id").values_list("id", flat=True).first(),
        step,
    )
    state, marker = impact_state(), change_marker()
    # One build of a report at a time in this process: people arriving while it runs wait
    # and then read its result, rather than each building the same thing at once.
    with _lock_of(report.name):
        result = cached(key, lambda: report.build(window), state=state, marker=marker)
    return window, result


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_of(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())
