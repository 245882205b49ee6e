"""A report's tables as people and spreadsheets read them: cell text, CSV, plain text."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, Any

from django.conf import settings

from cataligent.csv_cells import quote_cell
from cataligent.money import format_money
from reports.registry import Column, Table


class UnknownTable(LookupError):
    def __init__(self, name: str, tables: Sequence[Table]):
        names = ", ".join(t.name for t in tables)
        super().__init__(f"No table named {name!r}; this report has: {names}.")


def pick(tables: Sequence[Table], name: str | None) -> Table:
    """The table called `name`, or the report's main (first) one."""
    if not name:
        return tables[0]
    for table in tables:
        if table.name == name:
            return table
    raise UnknownTable(name, tables)


def cell_text(column: Column, value: Any) -> str:
    """What a cell says: the same words on the page and in the command's table."""
    if value is None or value == "":
        return "—"
    if column.kind == "pct":
        return f"{value:g} %"
    if column.kind == "hours":
        return f"{value:,g} h"
    if column.kind == "money":
        return format_money(value, settings.CURRENCY)
    if column.kind == "bool":
        return "yes" if value else "no"
    if column.kind == "date":
        return str(value)[:16].replace("T", " ")
    if column.kind == "int":
        return f"{value:,}"
    return str(value)


def csv_value(value: Any) -> Any:
    """CSV keeps the raw values (numbers stay numbers); nothing is run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return quote_cell(value)


def write_csv(table: Table, out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(row.get(c.key)) for c in table.columns])


def plain_text(table: Table) -> str:
    """The table in aligned columns, for a terminal."""
    header = [c.label for c in table.columns]
    body = [[cell_text(c, row.get(c.key)) for c in table.columns] for row in table.rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [table.title, ""]
    for r in [header, ["-" * w for w in widths], *body]:
        lines.append("  ".join(text.ljust(w) for text, w in zip(r, widths, strict=True)).rstrip())
    if not body:
        lines.append(table.empty)
    return "\n".join(lines)
