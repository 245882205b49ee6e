"""A report's result for a window, read the same way by the page, the API, CSV and the command.

A report that sets `cache_seconds` is kept in the map's result cache while nothing it reads
has changed: the key follows the stored impact results and the audit marker (as the map's
reads do), plus the newest ticket change, link and state transition, and, for the default
window that ends "now", the clock to REPORT_CACHE_BUCKET_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from dependencies.map.drawing import cached, change_marker
from dependencies.models import StateTransition
from dependencies.recompute.loader import impact_state
from integrations.models import Ticket, TicketLink
from reports.registry import Report, Result
from reports.window import Window, parse_window


def report_window(params: Mapping[str, str], *, now: dt.datetime | None = None) -> Window:
    """`parse_window`, with the default window ending at the last clock bucket, so that
    people asking within the same few minutes share one result."""
    bucket = settings.REPORT_CACHE_BUCKET_SECONDS
    if now is None and bucket > 0:
        now = dt.datetime.fromtimestamp(time.time() // bucket * bucket, tz=dt.UTC)
    return parse_window(params, now=now or timezone.now())


def report_result(report: Report, window: Window) -> Result:
    if report.cache_seconds <= 0:
        return report.build(window)
    key = (
        "report",
        report.name,
        window.start,
        window.end,
        window.team.pk if window.team else None,
        Ticket.objects.aggregate(Max("updated_at"))["updated_at__max"],
        TicketLink.objects.order_by("-id").values_list("id", flat=True).first(),
        StateTransition.objects.order_by("-id").values_list("id", flat=True).first(),
        int(time.time() // report.cache_seconds),
    )
    return cached(key, lambda: report.build(window), state=impact_state(), marker=change_marker())
