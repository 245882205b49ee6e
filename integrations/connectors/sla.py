"""A ticket's SLA result and deadline, read the way each tool records them (DESIGN §2).

``sla_breached`` is True (breached), False (met) or None (the source says nothing): a
missing or unreadable SLA is unknown, never "met", so the reports' "% SLA met" counts only
tickets with a result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import RecordRejected

# ServiceNow booleans are the strings "true" / "false" (itsm-apis.md §1: all scalars are
# strings); "" is an empty field.
_SN_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def servicenow_flag(value: object, name: str) -> bool | None:
    """A ServiceNow boolean field ("true"/"false", or ``{"value": ...}`` with display values)."""
    if isinstance(value, Mapping):
        value = value.get("value", "")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or value.strip().lower() not in _SN_BOOLEANS:
        raise RecordRejected(f"{name!r} is not 'true' or 'false': {value!r}")
    return _SN_BOOLEANS[value.strip().lower()]


def with_task_sla(records: list[object], read: Callable[[list[str]], list[object]]) -> list[object]:
    """Each record with its ``task_sla`` rows under the key ``task_sla``: ``read`` asks the
    task_sla table for the page's sys_ids at once (the rows' ``task`` is the sys_id)."""
    ids = [
        sys_id
        for r in records
        if isinstance(r, dict)
        and isinstance(sys_id := r.get("sys_id"), str)
        and sys_id
        and "," not in sys_id
    ]
    if not ids:
        return records
    by_task: dict[str, list[object]] = {}
    for row in read(ids):
        if isinstance(row, Mapping):
            task = row.get("task")
            task = task.get("value") if isinstance(task, Mapping) else task
            if isinstance(task, str):
                by_task.setdefault(task, []).append(row)
    wanted = set(ids)
    return [
        {**r, "task_sla": by_task.get(r["sys_id"], [])}
        if isinstance(r, dict) and r.get("sys_id") in wanted
        else r
        for r in records
    ]


def servicenow_task_sla(rows: object) -> tuple[bool | None, str]:
    """The result of one incident's ``task_sla`` rows: breached if any breached, met if
    there are rows and none breached (None without rows); and the earliest
    ``planned_end_time`` of those still running (or of all, when none runs), as text."""
    breached: bool | None = None
    running_ends: list[str] = []
    ends: list[str] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping):
            continue
        flag = servicenow_flag(row.get("has_breached"), "task_sla.has_breached")
        if flag is not None:
            breached = bool(breached) or flag
        end = row.get("planned_end_time")
        end = end.get("value", "") if isinstance(end, Mapping) else end
        if isinstance(end, str) and end.strip():
            ends.append(end.strip())
            stage = row.get("stage")
            stage = stage.get("value", "") if isinstance(stage, Mapping) else stage
            if stage in ("in_progress", "paused"):
                running_ends.append(end.strip())
    # The stamps are "YYYY-MM-DD HH:MM:SS" UTC, which sort as text the way they do as times.
    return breached, min(running_ends or ends, default="")


def jira_sla(
    fields: Mapping[str, Any], field_ids: Iterable[str]
) -> tuple[bool | None, datetime | None]:
    """Jira Service Management SLA fields (each ``{"id", "name", "ongoingCycle",
    "completedCycles": [...]}``; a cycle has ``breached`` and ``breachTime`` with
    ``epochMillis``): breached if any cycle of any field breached; met if some cycle
    completed or runs and none breached; unknown when no field has a cycle. The deadline is the
    earliest ``breachTime`` of the ongoing cycles."""
    breached: bool | None = None
    deadlines: list[datetime] = []
    for field_id in field_ids:
        value = fields.get(field_id)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise RecordRejected(f"SLA field {field_id!r} is not an SLA object")
        completed = value.get("completedCycles") or []
        if not isinstance(completed, list):
            raise RecordRejected(f"SLA field {field_id!r}: 'completedCycles' is not a list")
        for cycle in completed:
            flag = _cycle_breached(cycle, field_id)
            if flag is not None:
                breached = bool(breached) or flag
        ongoing = value.get("ongoingCycle")
        if ongoing is not None:
            # Running within its goal so far counts as met, as ServiceNow's made_sla does.
            breached = bool(breached) or bool(_cycle_breached(ongoing, field_id))
            deadline = _epoch_millis(ongoing.get("breachTime"), field_id)
            if deadline is not None:
                deadlines.append(deadline)
    return breached, min(deadlines, default=None)


def _cycle_breached(cycle: object, field_id: str) -> bool | None:
    if not isinstance(cycle, Mapping):
        raise RecordRejected(f"SLA field {field_id!r}: a cycle is not an object")
    flag = cycle.get("breached")
    if flag is None:
        return None
    if not isinstance(flag, bool):
        raise RecordRejected(f"SLA field {field_id!r}: 'breached' is not true or false")
    return flag


def _epoch_millis(value: object, field_id: str) -> datetime | None:
    if value is None:
        return None
    millis = value.get("epochMillis") if isinstance(value, Mapping) else None
    if millis is None:
        return None
    if isinstance(millis, bool) or not isinstance(millis, int):
        raise RecordRejected(f"SLA field {field_id!r}: 'breachTime.epochMillis' is not a number")
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RecordRejected(f"SLA field {field_id!r}: breach time out of range") from exc


def due_result(
    due: datetime | None, resolved: datetime | None, *, active: bool, now: datetime
) -> bool | None:
    """A due date against the resolution (Request Tracker ``Due``): breached when resolved
    after it, or still active past it; met when resolved by it; unknown without a due date
    or for a ticket closed without a resolution time."""
    if due is None:
        return None
    if resolved is not None:
        return resolved > due
    if active:
        return True if now > due else None  # not yet due: no result yet
    return None
