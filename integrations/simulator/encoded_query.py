"""ServiceNow's encoded queries (``sysparm_query``) as the simulated Table API reads them:
conditions, ORDERBY, keyset positions, and the quirks ServiceNow shows (invalid parts
silently ignored, dates in the instance's time zone, ``gs.dateGenerate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from .servicenow_records import Incident, ReferenceRecord, ServiceNowTable
from .store import SimulatorStore
from .timestamps import servicenow_parse, servicenow_text

TIME_FIELDS: Final = frozenset(
    {"sys_updated_on", "sys_created_on", "opened_at", "resolved_at", "closed_at"}
)
_OPERATORS: Final = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "NOT LIKE",
    "NOTLIKE",
    "LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "NOT IN",
    "NOTIN",
    "IN",
    ">=",
    "<=",
    "!=",
    "=",
    ">",
    "<",
)
_CONDITION = re.compile(
    r"^([a-z0-9_.]+)(" + "|".join(re.escape(op) for op in _OPERATORS) + r")(.*)$", re.S
)
# javascript:gs.dateGenerate('2024-01-01','00:00:00'), used by ansible-collections/servicenow.itsm
_DATE_GENERATE = re.compile(
    r"^javascript:gs\.dateGenerate\(\s*'(\d{4}-\d{2}-\d{2})'\s*,\s*'(\d{2}:\d{2}:\d{2})'\s*\)$"
)
# Compared as numbers by < and >; every other field compares as text (sys_ids, dates, ...).
NUMERIC_FIELDS: Final = frozenset(
    {
        "state",
        "incident_state",
        "priority",
        "impact",
        "urgency",
        "severity",
        "reassignment_count",
        "reopen_count",
        "sys_mod_count",
    }
)

AnyTable = ServiceNowTable[Incident] | ServiceNowTable[ReferenceRecord]
AnyRecord = Incident | ReferenceRecord


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: str


@dataclass(frozen=True, slots=True)
class EncodedQuery:
    # OR of "NQ" groups; each group is an AND of terms; each term an OR ("^OR") of conditions.
    groups: tuple[tuple[tuple[Condition, ...], ...], ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    def index_range(self, table: AnyTable) -> tuple[int, int] | None:
        """For the incremental-sync shapes, the slice of the table's (sys_updated_on, sys_id)
        index that the query selects, found by bisection; None for any other query.

        - ``sys_updated_on>=T`` (or ``>T``), optionally with ``<=`` / ``<`` bounds;
        - the keyset form ``sys_updated_on>T^NQsys_updated_on=T^sys_id>ID``: rows after
          (T, ID), which pages safely while rows change (offsets skip a row whenever an
          earlier row moves to the end);

        each ordered by ``ORDERBYsys_updated_on`` (``^ORDERBYsys_id`` optional; ties are always
        broken by sys_id here).
        """
        if self.order not in (
            (("sys_updated_on", False),),
            (("sys_updated_on", False), ("sys_id", False)),
        ):
            return None
        if len(self.groups) == 2:
            after = _keyset_after(self.groups)
            if after is None:
                return None
            return table.position_after(after), table.index_size()
        if len(self.groups) != 1:
            return None
        start, stop = 0, table.index_size()
        for term in self.groups[0]:
            if len(term) != 1 or term[0].field != "sys_updated_on":
                return None
            condition = term[0]
            moment = servicenow_parse(condition.value)
            if condition.operator == ">=":
                start = max(start, table.position(moment, inclusive=True))
            elif condition.operator == ">":
                start = max(start, table.position(moment, inclusive=False))
            elif condition.operator == "<=":
                stop = min(stop, table.position(moment, inclusive=False))
            elif condition.operator == "<":
                stop = min(stop, table.position(moment, inclusive=True))
            else:
                return None
        return start, max(start, stop)


def _keyset_after(
    groups: tuple[tuple[tuple[Condition, ...], ...], ...],
) -> tuple[int, str] | None:
    """(T, ID) for ``sys_updated_on>T^NQsys_updated_on=T^sys_id>ID`` (groups in any order)."""
    singles = [g for g in groups if len(g) == 1 and len(g[0]) == 1]
    pairs = [g for g in groups if len(g) == 2 and all(len(term) == 1 for term in g)]
    if len(singles) != 1 or len(pairs) != 1:
        return None
    later = singles[0][0][0]
    if (later.field, later.operator) != ("sys_updated_on", ">"):
        return None
    same = {(term[0].field, term[0].operator): term[0].value for term in pairs[0]}
    if same.get(("sys_updated_on", "=")) != later.value or ("sys_id", ">") not in same:
        return None
    return servicenow_parse(later.value), same[("sys_id", ">")]


def _time_literal(value: str, zone: ZoneInfo) -> str | None:
    """Normalise a date value to the stored format, or None if it is not one."""
    generated = _DATE_GENERATE.match(value)
    if generated:
        # gs.dateGenerate reads its arguments in the session user's time zone (reference §1).
        local = datetime.fromisoformat(f"{generated.group(1)}T{generated.group(2)}")
        return servicenow_text(int(local.replace(tzinfo=zone).timestamp()))
    try:
        # A bare literal is read as UTC here; whether ServiceNow reads it in the user's zone is
        # [unconfirmed] (reference §1), so the integration user's zone defaults to GMT.
        return servicenow_text(servicenow_parse(value))
    except ValueError:
        return None


def parse_encoded_query(
    text: str, table: AnyTable, store: SimulatorStore, zone: ZoneInfo
) -> EncodedQuery:
    """Parse ``sysparm_query``, dropping what ServiceNow would ignore (unknown fields,
    unparseable parts) instead of failing."""
    groups: list[list[list[Condition]]] = [[]]
    order: list[tuple[str, bool]] = []
    for raw in text.split("^") if text else ():
        part = raw.strip()
        if not part or part == "EQ":
            continue
        if part.startswith("ORDERBYDESC"):
            if known_field(part[11:], table, store):
                order.append((part[11:], True))
            continue
        if part.startswith("ORDERBY"):
            if known_field(part[7:], table, store):
                order.append((part[7:], False))
            continue
        if part.startswith("NQ"):  # "^NQ" starts a new query, OR-ed with the ones before
            groups.append([])
            part = part[2:]
            if not part:
                continue
        alternative = part.startswith("OR")
        condition = _condition(part[2:] if alternative else part, table, store, zone)
        if condition is None:
            continue
        terms = groups[-1]
        if alternative and terms:
            terms[-1].append(condition)
        else:
            terms.append([condition])
    return EncodedQuery(
        tuple(
            tuple(tuple(term) for term in group) for group in groups if group or len(groups) == 1
        ),
        tuple(order),
    )


def known_field(name: str, table: AnyTable, store: SimulatorStore) -> bool:
    if name in table.field_set:
        return True
    head, _, tail = name.partition(".")
    target = table.references.get(head)
    target_table = store.table(target) if target else None
    return target_table is not None and tail in target_table.field_set


def _condition(
    text: str, table: AnyTable, store: SimulatorStore, zone: ZoneInfo
) -> Condition | None:
    match = _CONDITION.match(text)
    if match is None:
        return None
    name, operator, value = match.groups()
    if not known_field(name, table, store):
        return None
    if name in TIME_FIELDS and operator in (">=", "<=", ">", "<", "=", "!="):
        normalised = _time_literal(value, zone)
        if normalised is None:
            return None
        value = normalised
    return Condition(
        name, operator.replace("NOTLIKE", "NOT LIKE").replace("NOTIN", "NOT IN"), value
    )


def field_value(record: AnyRecord, name: str, table: AnyTable, store: SimulatorStore) -> str:
    if "." not in name:
        return record.value(name)
    head, _, tail = name.partition(".")
    target = table.references.get(head)
    target_table = store.table(target) if target else None
    referenced = target_table.get(record.value(head)) if target_table is not None else None
    return referenced.value(tail) if referenced is not None else ""


def _as_number(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


def _holds(actual: str, condition: Condition) -> bool:
    operator, expected = condition.operator, condition.value
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if operator == "ISEMPTY":
        return actual == ""
    if operator == "ISNOTEMPTY":
        return actual != ""
    if operator in ("IN", "NOT IN"):
        return (actual in expected.split(",")) == (operator == "IN")
    low_actual, low_expected = actual.lower(), expected.lower()
    if operator == "LIKE":
        return low_expected in low_actual
    if operator == "NOT LIKE":
        return low_expected not in low_actual
    if operator == "STARTSWITH":
        return low_actual.startswith(low_expected)
    if operator == "ENDSWITH":
        return low_actual.endswith(low_expected)
    if actual == "":
        return False  # an empty value never compares
    if condition.field not in NUMERIC_FIELDS:
        return _compare(operator, actual, expected)
    left, right = _as_number(actual), _as_number(expected)
    if left is None or right is None:
        return _compare(operator, actual, expected)
    return _compare(operator, left, right)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left <= right)


def matches(record: AnyRecord, query: EncodedQuery, table: AnyTable, store: SimulatorStore) -> bool:
    for group in query.groups:
        if all(
            any(_holds(field_value(record, c.field, table, store), c) for c in term)
            for term in group
        ):
            return True
    return not query.groups


def sort_value(name: str, text: str) -> tuple[int, int, str]:
    number = _as_number(text) if name in NUMERIC_FIELDS else None
    return (0, number, "") if number is not None else (1, 0, text)
