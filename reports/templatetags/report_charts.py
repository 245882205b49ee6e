"""Report charts on other apps' pages, through templates only: the map and the dashboard sit
below `reports` in the layers contract and must not import it."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import template
from django.core.cache import cache
from django.utils import timezone

from dependencies.recompute.loader import impact_state
from reports import trends
from reports.window import parse_window

register = template.Library()

# Escalations fire and resolve between recomputes: the cached chart lives this long at most.
CACHE_SECONDS = 300


@register.simple_tag
def dashboard_trends() -> dict[str, Any]:
    """The dashboard's trend chart (blocked objectives and capabilities, open escalations over
    the last REPORT_WINDOW_DAYS days) as data for `_chart.html`, with a sentence for readers
    without the chart. Cached per map version and hour: the history only grows with them."""
    now = timezone.now()
    key = f"reports:dashboard-trends:{impact_state().version}:{now:%Y%m%d%H}"
    found = cache.get(key)
    if found is None:
        chart = trends.dashboard_chart(parse_window({}, now=now))
        first = {d["label"]: d["data"][0] if d["data"] else None for d in chart.datasets}
        last = {d["label"]: d["data"][-1] if d["data"] else None for d in chart.datasets}
        found = {
            "chart": dataclasses.asdict(chart),
            "id": f"chart-{chart.name}",
            "data_id": f"chart-{chart.name}-data",
            "summary": [
                {"label": label, "first": first[label], "last": last[label]} for label in first
            ],
            "since": chart.labels[0] if chart.labels else None,
        }
        cache.set(key, found, CACHE_SECONDS)
    return found
