"""How a report's cells and charts are written into a page."""

from __future__ import annotations

from typing import Any

from django import template

from reports.registry import Chart, Column
from reports.tables import cell_text

register = template.Library()


@register.filter
def report_cell(row: dict[str, Any], column: Column) -> str:
    return cell_text(column, row.get(column.key))


@register.filter
def report_url(row: dict[str, Any], column: Column) -> str:
    """A "link" column's address: the row's `<key>_url`, or the value itself when it is one."""
    url = row.get(f"{column.key}_url")
    if url:
        return str(url)
    value = str(row.get(column.key) or "")
    return value if value.startswith(("https://", "http://", "/")) else ""


@register.filter
def chart_config(chart: Chart) -> dict[str, Any]:
    """The Chart.js configuration `static/js/reports.js` draws (data only, no functions)."""
    return {
        "type": chart.type,
        "data": {"labels": list(chart.labels), "datasets": list(chart.datasets)},
        "options": chart.options,
    }


@register.filter
def chart_rows(chart: Chart) -> list[dict[str, Any]]:
    """The chart's numbers as table rows: one per label, one cell per dataset."""
    return [
        {
            "label": label,
            "values": [d["data"][i] if i < len(d["data"]) else None for d in chart.datasets],
        }
        for i, label in enumerate(chart.labels)
    ]
