"""The reports, by name: one definition each, read by the page, the API, CSV and the command.

A report is a module-level `Report` registered here. Its `build(window)` returns the JSON
the API serves (the names DESIGN §3 fixes); `tables(result)` turns that same result into the
plain tables the page shows beside its charts and that `?format=csv` / `--csv` write (the
first table is the report's main one); `charts(result)` names what to draw, as data, so the
page's script stays one generic renderer. Nothing is computed twice for two surfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.window import Window

Result = dict[str, Any]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # "text", "int", "pct", "hours", "money", "date", "bool", "link": how the page formats it
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    name: str  # also the CSV's `table=` value
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    empty: str = "Nothing in this window."


@dataclass(frozen=True)
class Chart:
    """A chart as data: Chart.js type, labels and datasets (`{"label": ..., "data": [...]}`)."""

    name: str
    title: str
    type: str  # "bar", "line", "doughnut"
    labels: Sequence[str]
    datasets: Sequence[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    name: str  # the URL and command name: "green-red"
    title: str
    question: str  # the one line a leader reads first: what this report answers
    build: Callable[[Window], Result]
    tables: Callable[[Result], list[Table]]
    charts: Callable[[Result], list[Chart]] = lambda result: []
    # Keep a result this long (reports.results): only for a report whose inputs are tickets,
    # links, the stored impact results and audited changes, which the cache key follows.
    cache_seconds: int = 0


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.name in REPORTS:
        raise ValueError(f"report {report.name!r} is registered twice")
    REPORTS[report.name] = report
    return report


def get(name: str) -> Report | None:
    return REPORTS.get(name)
