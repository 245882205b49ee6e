"""Reading a ServiceNow Table API record (itsm-apis.md §1): the fields the connector asks
for, the shapes a value comes in (string, reference object, display/value pair), the
"YYYY-MM-DD HH:MM:SS" UTC timestamps, and a record's identity and revision for the cursor."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import RecordRejected
from .normalizing import optional_text

__all__ = [
    "BASE_FIELDS",
    "NAMED_REFERENCES",
    "TIMESTAMP_FORMAT",
    "TIMESTAMP_SHAPE",
    "field_text",
    "field_time",
    "newest_update",
    "record_identity",
    "record_revision",
    "reference_name",
]

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # §1 "Timestamp format": UTC, no zone suffix
TIMESTAMP_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

# Reference fields whose display name we ask for by dot-walking (``assignment_group.name``).
# If an instance ignores them ("invalid fields are ignored", §1) we fall back to the sys_id.
NAMED_REFERENCES = ("assignment_group", "assigned_to", "cmdb_ci", "business_service")
BASE_FIELDS = (
    "sys_id",
    "number",
    "short_description",
    "state",
    "priority",
    "impact",
    "urgency",
    "active",
    "reassignment_count",
    "reopen_count",
    "made_sla",  # "true"/"false": the SLA result ServiceNow keeps on the task
    "sla_due",
    "due_date",
    "opened_at",
    "resolved_at",
    "closed_at",
    "sys_created_on",
    "sys_updated_on",
    "sys_mod_count",  # the revision: two updates in one second differ here
    "close_code",
    "sys_class_name",
    *NAMED_REFERENCES,
    *(f"{name}.name" for name in NAMED_REFERENCES),
)
DOT_WALKED = {name: f"{name}.name" for name in NAMED_REFERENCES}


def field_text(record: Mapping[str, Any], name: str) -> str:
    """A field's value as the string ServiceNow sends ("" when empty or absent).

    Values are strings (§1 "All scalar values are strings"); with
    ``sysparm_display_value=all`` a field is ``{"display_value", "value"}``, so take
    ``value``. Anything else is garbled.
    """
    value = record.get(name, "")
    if type(value) is str:  # nearly always: the fast path of the ingest
        return value.strip()
    if isinstance(value, Mapping):
        value = value.get("value", "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordRejected(f"{name!r} is a {type(value).__name__}, expected a string")
    return value.strip()


def reference_name(record: Mapping[str, Any], name: str) -> str | None:
    """A reference field as a name when we have one, else its sys_id, else None.

    Reference shapes (§1 "Reference fields"): ``{"link", "value"}`` by default, the plain
    sys_id with ``sysparm_exclude_reference_link=true``, ``""`` when empty, and
    ``{"display_value", "value", "link"}`` with ``display_value=all``.
    """
    dotted = record.get(DOT_WALKED[name])
    if type(dotted) is not str and isinstance(dotted, Mapping):
        dotted = dotted.get("display_value") or dotted.get("value")
    if isinstance(dotted, str) and (shown := dotted.strip()):
        return shown
    value = record.get(name, "")
    if value is None or type(value) is str:
        return (value or "").strip() or None
    if isinstance(value, Mapping):
        text = value.get("display_value") or value.get("value")
        if text is None or isinstance(text, str):
            return optional_text(text)
    raise RecordRejected(f"{name!r} is neither a reference object nor a string")


def field_time(record: Mapping[str, Any], name: str) -> datetime | None:
    text = field_text(record, name)
    if not text:
        return None
    if not TIMESTAMP_SHAPE.match(text):
        raise RecordRejected(f"{name!r} is not a 'YYYY-MM-DD HH:MM:SS' timestamp: {text!r}")
    try:
        # The shape is checked above, so fromisoformat reads exactly this format, ~20x
        # faster than strptime (it is on the ingest's hot path: three stamps a record);
        # the zone as text is read faster than a .replace(tzinfo=UTC) afterwards.
        return datetime.fromisoformat(text + "+00:00")
    except ValueError as exc:
        raise RecordRejected(f"{name!r} is not a valid date: {text!r}") from exc


def record_identity(raw: object) -> tuple[str, datetime] | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        sys_id = field_text(raw, "sys_id")
        updated = field_time(raw, "sys_updated_on")
    except RecordRejected:
        return None
    return (sys_id, updated) if sys_id and updated else None


def record_revision(record: Mapping[str, Any]) -> str:
    """``sys_mod_count``: it counts every update, so it tells apart two in one second. Only
    the cursor reads it, so a garbled one costs the record nothing."""
    try:
        return field_text(record, "sys_mod_count")
    except RecordRejected:
        return ""


def newest_update(records: list[object]) -> datetime | None:
    """The latest ``sys_updated_on`` among the records that have a sys_id.

    The stamps are "YYYY-MM-DD HH:MM:SS" in UTC, which sort as text the way they do as
    times, so only the latest is parsed; a record in any other shape goes the long way.
    """
    newest_text = ""
    others: list[datetime] = []
    for record in records:
        if type(record) is dict:
            stamp, sys_id = record.get("sys_updated_on"), record.get("sys_id")
            if (
                type(stamp) is str
                and type(sys_id) is str
                and sys_id.strip()
                and TIMESTAMP_SHAPE.match(stamp)
            ):
                newest_text = max(newest_text, stamp)
                continue
        identity = record_identity(record)
        if identity is not None:
            others.append(identity[1])
    if newest_text:
        try:
            others.append(datetime.fromisoformat(newest_text + "+00:00"))
        except ValueError:  # the right shape but not a date (month 13): the long way
            others.extend(i[1] for r in records if (i := record_identity(r)))
    return max(others, default=None)
