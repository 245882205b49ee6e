"""Run costs (`CostLine`): the one place they are written (API, admin, CSV import) and read.

Amounts are kept in the configured CURRENCY; a file in another currency is converted on import
with a rate the importer gives (`--rate EUR=1.08`: one euro is 1.08 of CURRENCY), never with
a rate guessed here.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from cataligent.audit import audit_created, audit_deleted, audited_update
from cataligent.csv_cells import quote_cell, unquote_cell
from dependencies.models import Node
from reports.models import CostLine
from reports.spend_allocation import costs_changed

COLUMNS = ("node", "month", "amount", "currency", "category")
REQUIRED_COLUMNS = ("node", "month", "amount")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999999999.99")  # max_digits=16, decimal_places=2
IMPORT_BATCH = 1000
AUDITED_FIELDS = ("node", "month", "amount", "currency", "category")


def parse_month(raw: str) -> dt.date | None:
    """ "2026-03" -> 1 March 2026; anything else -> None."""
    match = _MONTH.match(raw.strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not 1900 <= year <= 8999:  # as the report windows
        return None
    return dt.date(year, month, 1)


def format_month(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def parse_rates(raw: Iterable[str]) -> dict[str, Decimal]:
    """`["EUR=1.08"]` -> {"EUR": Decimal("1.08")}; ValueError naming the bad one."""
    rates: dict[str, Decimal] = {}
    for item in raw:
        code, _, number = item.partition("=")
        code = code.strip().upper()
        try:
            rate = Decimal(number.strip())
        except InvalidOperation:
            rate = Decimal(0)
        if len(code) != 3 or not code.isalpha() or not rate.is_finite() or rate <= 0:
            raise ValueError(
                f"--rate {item!r}: give CODE=RATE, e.g. EUR=1.08 (one EUR in {settings.CURRENCY})."
            )
        rates[code] = rate
    return rates


@dataclass(frozen=True)
class CostRow:
    number: int  # the row's line in the file (the header is row 1)
    node_id: int
    month: dt.date
    amount: Decimal  # in settings.CURRENCY
    category: str

    @property
    def key(self) -> tuple[int, dt.date, str]:
        return (self.node_id, self.month, self.category)


class CostFileError(ValueError):
    """A file that cannot be imported; `errors` lists every bad row as "row N: reason"."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def read_cost_file(
    lines: Iterable[str], *, rates: Mapping[str, Decimal] | None = None
) -> list[CostRow]:
    """Every row of a costs CSV, checked; CostFileError with *every* bad row otherwise."""
    rates = dict(rates or {})
    reader = csv.DictReader(lines)
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CostFileError(
            [f"row 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"]
        )
    reader.fieldnames = header
    raw_rows = list(reader)
    slugs = {unquote_cell((r.get("node") or "").strip()) for r in raw_rows}
    node_ids = dict(Node.objects.filter(slug__in=slugs).values_list("slug", "id"))
    rows: list[CostRow] = []
    errors: list[str] = []
    seen: dict[tuple[int, dt.date, str], int] = {}
    for number, raw in enumerate(raw_rows, start=2):
        row = _read_row(number, raw, node_ids, rates, errors)
        if row is None:
            continue
        if row.key in seen:
            errors.append(
                f"row {number}: repeats row {seen[row.key]} (same node, month and category)"
            )
            continue
        seen[row.key] = number
        rows.append(row)
    if errors:
        raise CostFileError(errors)
    return rows


def _read_row(
    number: int,
    raw: Mapping[str, Any],
    node_ids: Mapping[str, int],
    rates: Mapping[str, Decimal],
    errors: list[str],
) -> CostRow | None:
    def cell(name: str) -> str:
        return unquote_cell((raw.get(name) or "").strip())

    reasons = []
    slug = cell("node")
    node_id = node_ids.get(slug)
    if node_id is None:
        reasons.append(f"unknown node {slug!r}" if slug else "node is empty")
    month = parse_month(cell("month"))
    if month is None:
        reasons.append(f"month {cell('month')!r} is not YYYY-MM")
    amount: Decimal | None
    try:
        amount = Decimal(cell("amount").replace(",", ""))
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        amount = None
        reasons.append(f"amount {cell('amount')!r} is not a number")
    if amount is not None and amount < 0:
        reasons.append(f"amount {cell('amount')} is negative")
    currency = (cell("currency") or settings.CURRENCY).upper()
    if currency != settings.CURRENCY and currency not in rates:
        reasons.append(
            f"currency {currency} is not {settings.CURRENCY}; "
            f"give a rate, e.g. --rate {currency}=1.08"
        )
    category = cell("category")
    if len(category) > 100:
        reasons.append("category is longer than 100 characters")
    if amount is not None and currency in rates:
        amount = amount * rates[currency]
    if amount is not None and amount.quantize(CENT) > MAX_AMOUNT:
        reasons.append(f"amount {cell('amount')} is too large")
    if reasons:
        errors.append(f"row {number}: {'; '.join(reasons)}")
        return None
    assert node_id is not None and month is not None and amount is not None
    return CostRow(number, node_id, month, amount.quantize(CENT), category)


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def costs_import(
    rows: list[CostRow], *, progress: Callable[[int, int], None] | None = None
) -> ImportSummary:
    """Upsert the rows on node+month+category, all in one transaction (all or nothing)."""
    summary = ImportSummary(rows=len(rows))
    with transaction.atomic():
        existing = {
            (node_id, month, category): amount
            for node_id, month, category, amount in CostLine.objects.filter(
                node_id__in={r.node_id for r in rows}, month__in={r.month for r in rows}
            ).values_list("node_id", "month", "category", "amount")
        }
        changed = []
        for row in rows:
            before = existing.get(row.key)
            if before is None:
                summary.created += 1
            elif before == row.amount:
                summary.unchanged += 1
                continue
            else:
                summary.updated += 1
            changed.append(row)
        now = timezone.now()
        for start in range(0, len(changed), IMPORT_BATCH):
            batch = changed[start : start + IMPORT_BATCH]
            CostLine.objects.bulk_create(
                [
                    CostLine(
                        node_id=r.node_id,
                        month=r.month,
                        amount=r.amount,
                        currency=settings.CURRENCY,
                        category=r.category,
                        created_at=now,
                        updated_at=now,
                    )
                    for r in batch
                ],
                update_conflicts=True,
                unique_fields=["node", "month", "category"],
                update_fields=["amount", "currency", "updated_at"],
            )
            if progress is not None:
                progress(start + len(batch), len(changed))
        if changed:
            transaction.on_commit(costs_changed)
    return summary


@receiver(post_save, sender=CostLine)
@receiver(post_delete, sender=CostLine)
def _cost_line_written(**kwargs: Any) -> None:
    """One line saved or deleted (API, admin): the spend report's cached months are stale."""
    transaction.on_commit(costs_changed)


def cost_line_create(*, actor: Any, **values: Any) -> CostLine:
    with transaction.atomic():
        line = CostLine(**values)
        line.full_clean()
        line.save()
        audit_created(line, actor=actor)
    return line


def cost_line_update(*, line: CostLine, changes: Mapping[str, Any], actor: Any) -> CostLine:
    with transaction.atomic():
        audited_update(line, changes, fields=AUDITED_FIELDS, actor=actor)
    return line


def cost_line_delete(*, line: CostLine, actor: Any) -> None:
    with transaction.atomic():
        audit_deleted(line, actor=actor)
        line.delete()


def cost_rows_for_export(lines: QuerySet[CostLine]) -> Iterator[list[Any]]:
    """The CSV an import reads back: the header, then one row per line."""
    yield list(COLUMNS)
    for slug, month, amount, currency, category in lines.order_by(
        "node__slug", "month", "category"
    ).values_list("node__slug", "month", "amount", "currency", "category"):
        yield [quote_cell(slug), format_month(month), amount, currency, quote_cell(category)]
