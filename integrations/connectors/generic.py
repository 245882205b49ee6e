"""The generic push shape (README, "Webhooks"): the ticket fields of DESIGN §2 in JSON.

Any connector accepts it on its webhook, whatever its tool: a script or a tool we have no
connector for can push tickets in this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import RecordRejected
from .tickets import STATUS_CATEGORIES, NormalizedTicket
from .timestamps import TimestampOutOfRange, parse_iso_datetime


def is_generic(record: object) -> bool:
    return isinstance(record, Mapping) and "status_category" in record


def parse_generic(data: Mapping[str, Any]) -> NormalizedTicket:
    """Raises RecordRejected naming the field that cannot be read."""

    def text(name: str, *, required: bool = False) -> str:
        value = data.get(name)
        if value is None or value == "":
            if required:
                raise RecordRejected(f"'{name}' is required")
            return ""
        if not isinstance(value, str | int):
            raise RecordRejected(f"'{name}' must be a string")
        return str(value)

    def when(name: str, *, required: bool = False) -> datetime | None:
        value = data.get(name)
        if value in (None, ""):
            if required:
                raise RecordRejected(f"'{name}' is required (ISO 8601 with a time zone)")
            return None
        try:
            return parse_iso_datetime(str(value))
        except TimestampOutOfRange as exc:
            raise RecordRejected(f"'{name}': {exc}") from exc
        except ValueError as exc:
            raise RecordRejected(
                f"'{name}' is not an ISO 8601 time with a zone: {value!r}"
            ) from exc

    def strings(name: str) -> tuple[str, ...]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecordRejected(f"'{name}' must be a list of strings")
        return tuple(value)

    category = text("status_category", required=True)
    if category not in STATUS_CATEGORIES:
        raise RecordRejected(f"'status_category' must be one of {', '.join(STATUS_CATEGORIES)}")
    priority = data.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
        raise RecordRejected("'priority' must be a whole number from 1 (highest) to 5")
    count = data.get("reassignment_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise RecordRejected("'reassignment_count' must be a whole number ≥ 0")
    reopens = data.get("reopen_count")
    if reopens is not None and (
        isinstance(reopens, bool) or not isinstance(reopens, int) or reopens < 0
    ):
        raise RecordRejected("'reopen_count' must be a whole number ≥ 0")
    breached = data.get("sla_breached")
    if breached is not None and not isinstance(breached, bool):
        raise RecordRejected("'sla_breached' must be true (breached), false (met) or null")
    updated = when("updated_at", required=True)
    assert updated is not None
    return NormalizedTicket(
        external_id=text("external_id", required=True),
        key=text("key") or text("external_id"),
        url=text("url"),
        title=text("title"),
        status_raw=text("status") or category,
        status_category=category,  # type: ignore[arg-type]
        priority=priority,
        is_blocker=bool(data.get("is_blocker", False)),
        assignee=text("assignee") or None,
        assignment_group=text("assignment_group") or None,
        reassignment_count=count,
        ci=text("ci") or None,
        components=strings("components"),
        labels=strings("labels"),
        opened_at=when("opened_at") or updated,
        updated_at=updated,
        resolved_at=when("resolved_at"),
        raw=dict(data),
        sla_breached=breached,
        due_at=when("due_at"),
        reopen_count=reopens,
    )


def guess_id(data: object) -> str | None:
    """The id a push names, where one can be read (so that a rejected one can be found)."""
    if isinstance(data, Mapping):
        for source in (data, data.get("issue"), data.get("result")):
            if isinstance(source, Mapping):
                for key in ("external_id", "sys_id", "id"):
                    if source.get(key):
                        return str(source[key])[:200]
    return None
