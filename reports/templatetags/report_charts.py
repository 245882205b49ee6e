"""Report charts on other apps' pages, through templates only: the map and the dashboard sit
below `reports` in the layers contract and must not import it."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.cache import cache
from django.utils import timezone

from reports import trends
from reports.window import parse_window

register = template.Library()

CACHE_SECONDS = 3600


@register.simple_tag
def dashboard_trends() -> dict[str, Any]:
    """The dashboard's trend chart (blocked objectives and capabilities, open escalations over
    the last REPORT_WINDOW_DAYS days) as data for `_chart.html`, with a sentence for readers
    without the chart. A daily series: computed at most once an hour (it says when), so the
    dashboard stays as fast on a large organisation as without it."""
    now = timezone.now()
    key = f"reports:dashboard-trends:{now:%Y%m%d%H}"
    found = cache.get(key)
    if found is None:
        chart = trends.dashboard_chart(parse_window({}, now=now))
        first = {d["label"]: d["data"][0] if d["data"] else None for d in chart.datasets}
        last = {d["label"]: d["data"][-1] if d["data"] else None for d in chart.datasets}
        found = {
            "chart": chart,  # drawn by reports/_chart.html, as on the report pages
            "summary": [
                {"label": label, "first": first[label], "last": last[label]} for label in first
            ],
            "since": chart.labels[0] if chart.labels else None,
            "computed_at": now,
        }
        cache.set(key, found, CACHE_SECONDS)
    return found
