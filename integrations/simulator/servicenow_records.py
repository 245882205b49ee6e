"""The simulator's ServiceNow records: incidents, reference rows, and a table kept in the
order the Table API pages them.

Every table keeps an index sorted by (updated, id), so that the incremental query
(``sys_updated_on>=X^ORDERBYsys_updated_on^ORDERBYsys_id``) finds its first row by
bisection and a page costs O(page), not O(tickets): the ingest benchmark pages 100,000
tickets 1,000 at a time.

All access goes through ``SimulatorStore.lock``: HTTP requests read under it while the
mutation thread writes.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Generic, Protocol, TypeVar

from .timestamps import servicenow_format

# Out-of-box incident codes (reference §1, "Key incident fields and out-of-box codes").
STATE_CODES: Final = {
    "new": "1",
    "in_progress": "2",
    "on_hold": "3",
    "resolved": "6",
    "closed": "7",
    "canceled": "8",
}
STATE_LABELS: Final = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
# New, In Progress, On Hold: someone still has to act. (Not the same as the "active" flag:
# ServiceNow keeps a Resolved incident active until it is Closed or Canceled.)
OPEN_STATES: Final = frozenset({"1", "2", "3"})
INACTIVE_STATES: Final = frozenset({"7", "8"})
PRIORITY_LABELS: Final = {
    "1": "1 - Critical",
    "2": "2 - High",
    "3": "3 - Moderate",
    "4": "4 - Low",
    "5": "5 - Planning",
}
IMPACT_LABELS: Final = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
# ServiceNow computes priority from impact x urgency; these pairs give each priority.
IMPACT_URGENCY_FOR_PRIORITY: Final = {
    "1": ("1", "1"),
    "2": ("1", "2"),
    "3": ("2", "2"),
    "4": ("2", "3"),
    "5": ("3", "3"),
}
CHOICE_LABELS: Final[dict[str, Mapping[str, str]]] = {
    "state": STATE_LABELS,
    "incident_state": STATE_LABELS,
    "priority": PRIORITY_LABELS,
    "impact": IMPACT_LABELS,
    "urgency": IMPACT_LABELS,
}

# Reference fields of the incident table and the table each one points into.
INCIDENT_REFERENCES: Final = {
    "assignment_group": "sys_user_group",
    "assigned_to": "sys_user",
    "cmdb_ci": "cmdb_ci",
    "business_service": "cmdb_ci_service",
    "caller_id": "sys_user",
    "opened_by": "sys_user",
    "resolved_by": "sys_user",
    "closed_by": "sys_user",
    "location": "cmn_location",
    "problem_id": "problem",
    "rfc": "change_request",
    "caused_by": "change_request",
    "company": "core_company",
}
_INCIDENT_TIMES: Final = (
    "opened_at",
    "resolved_at",
    "closed_at",
    "sys_created_on",
    "sys_updated_on",
)
_INCIDENT_COUNTS: Final = ("reassignment_count", "reopen_count", "sys_mod_count")
_INCIDENT_TEXT: Final = (
    "number",
    "short_description",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "category",
    "subcategory",
    "close_code",
    "close_notes",
    "made_sla",
    "contact_type",
    "hold_reason",
    "sys_created_by",
    "sys_updated_by",
)
# Constant on every incident; served because real records carry them.
_INCIDENT_CONSTANTS: Final = {
    "sys_class_name": "incident",
    "severity": "3",
    "escalation": "0",
    "sys_domain": "global",
    "upon_approval": "proceed",
    "notify": "1",
    "knowledge": "false",
    "u_symptom": "",
    "u_priority_confirmation": "false",
    "vendor": "",
}
INCIDENT_FIELDS: Final = (
    "sys_id",
    *_INCIDENT_TEXT,
    "incident_state",
    "active",
    *INCIDENT_REFERENCES,
    *_INCIDENT_COUNTS,
    *_INCIDENT_TIMES,
    *_INCIDENT_CONSTANTS,
)


def stable_sys_id(*parts: str) -> str:
    """A 32-hex sys_id that is the same on every run for the same parts."""
    return hashlib.md5("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class Incident:
    """One incident in value form: what ``sysparm_display_value=false`` returns.

    References hold sys_ids ("" when empty); times are epoch seconds (0 when empty).
    ``extra`` carries columns only some records have (e.g. those replayed from the real log).
    """

    sys_id: str
    number: str
    short_description: str
    state: str
    priority: str
    impact: str
    urgency: str
    sys_created_on: int
    sys_updated_on: int
    opened_at: int
    description: str = ""
    category: str = "software"
    subcategory: str = ""
    assignment_group: str = ""
    assigned_to: str = ""
    cmdb_ci: str = ""
    business_service: str = ""
    caller_id: str = ""
    opened_by: str = ""
    resolved_by: str = ""
    closed_by: str = ""
    location: str = ""
    problem_id: str = ""
    rfc: str = ""
    caused_by: str = ""
    company: str = ""
    reassignment_count: int = 0
    reopen_count: int = 0
    sys_mod_count: int = 0
    resolved_at: int = 0
    closed_at: int = 0
    close_code: str = ""
    close_notes: str = ""
    made_sla: str = "true"  # "false" once the incident's SLA breached
    contact_type: str = "phone"
    hold_reason: str = ""
    sys_created_by: str = "admin"
    sys_updated_by: str = "admin"
    extra: dict[str, str] | None = None
    pinned: bool = False  # a scenario ticket: random mutation never resolves it

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def value(self, name: str) -> str:
        """The field as the Table API sends it: always a string."""
        if self.extra is not None and name in self.extra:
            return self.extra[name]
        if name in _TEXT_OR_REF:
            value: str = getattr(self, name)
            return value
        if name in _INCIDENT_TIMES:
            return servicenow_format(getattr(self, name))
        if name in _INCIDENT_COUNTS:
            return str(getattr(self, name))
        if name == "incident_state":
            return self.state
        if name == "active":
            return "false" if self.state in INACTIVE_STATES else "true"
        return _INCIDENT_CONSTANTS.get(name, "")


_TEXT_OR_REF: Final = frozenset({"sys_id", *_INCIDENT_TEXT, *INCIDENT_REFERENCES})


@dataclass(slots=True)
class ReferenceRecord:
    """A row of a table incidents point into (groups, users, CIs, ...), so that reference
    links, display values and dot-walked fields (``assignment_group.name``) resolve."""

    sys_id: str
    name: str
    sys_updated_on: int
    attributes: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        if name == "sys_id":
            return self.sys_id
        if name == "name":
            return self.name
        if name in ("sys_updated_on", "sys_created_on"):
            return servicenow_format(self.sys_updated_on)
        return self.attributes.get(name, "")


class TableRecord(Protocol):
    @property
    def sys_id(self) -> str: ...

    @property
    def sys_updated_on(self) -> int: ...

    def value(self, name: str) -> str: ...


RecordT = TypeVar("RecordT", bound=TableRecord)

# Tables served besides incident, with their fields, references and the field shown as the
# display value of a reference to them.
REFERENCE_TABLES: Final[dict[str, tuple[tuple[str, ...], dict[str, str], str]]] = {
    "sys_user": (
        ("sys_id", "name", "user_name", "email", "time_zone", "active", "sys_updated_on"),
        {},
        "name",
    ),
    "sys_user_group": (
        ("sys_id", "name", "description", "email", "active", "manager", "sys_updated_on"),
        {"manager": "sys_user"},
        "name",
    ),
    "cmdb_ci": (
        ("sys_id", "name", "sys_class_name", "operational_status", "sys_updated_on"),
        {},
        "name",
    ),
    "cmdb_ci_service": (
        ("sys_id", "name", "sys_class_name", "operational_status", "sys_updated_on"),
        {},
        "name",
    ),
    "cmn_location": (("sys_id", "name", "sys_updated_on"), {}, "name"),
    "core_company": (("sys_id", "name", "sys_updated_on"), {}, "name"),
    "problem": (("sys_id", "number", "short_description", "state", "sys_updated_on"), {}, "number"),
    "change_request": (
        ("sys_id", "number", "short_description", "state", "sys_updated_on"),
        {},
        "number",
    ),
}


class ServiceNowTable(Generic[RecordT]):
    """One table, indexed by sys_id and by (sys_updated_on, sys_id)."""

    def __init__(
        self,
        name: str,
        fields: tuple[str, ...],
        references: Mapping[str, str],
        display_field: str = "name",
    ) -> None:
        self.name = name
        self.fields = fields
        self.field_set = frozenset(fields)
        self.references = dict(references)
        self.display_field = display_field
        self.version = 0  # bumped on every write; query caches key on it
        self._by_id: dict[str, RecordT] = {}
        self._keys: list[tuple[int, str]] = []  # sorted (sys_updated_on, sys_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, sys_id: str) -> RecordT | None:
        return self._by_id.get(sys_id)

    def upsert(self, record: RecordT) -> None:
        old = self._by_id.get(record.sys_id)
        if old is not None:
            old_key = (old.sys_updated_on, old.sys_id)
            index = bisect.bisect_left(self._keys, old_key)
            if index < len(self._keys) and self._keys[index] == old_key:
                del self._keys[index]
        self._by_id[record.sys_id] = record
        bisect.insort(self._keys, (record.sys_updated_on, record.sys_id))
        self.version += 1

    def delete(self, sys_id: str) -> None:
        """Remove a record, as when it is deleted or leaves the query in the real tool."""
        old = self._by_id.pop(sys_id)
        old_key = (old.sys_updated_on, old.sys_id)
        index = bisect.bisect_left(self._keys, old_key)
        if index < len(self._keys) and self._keys[index] == old_key:
            del self._keys[index]
        self.version += 1

    def reindex(self, record: RecordT, old_updated: int) -> None:
        """The record's sys_updated_on changed from old_updated: move its index entry."""
        old_key = (old_updated, record.sys_id)
        index = bisect.bisect_left(self._keys, old_key)
        if index < len(self._keys) and self._keys[index] == old_key:
            del self._keys[index]
        bisect.insort(self._keys, (record.sys_updated_on, record.sys_id))
        self.version += 1

    def bulk_load(self, records: Iterable[RecordT]) -> None:
        for record in records:
            self._by_id[record.sys_id] = record
        self._keys = sorted((r.sys_updated_on, r.sys_id) for r in self._by_id.values())
        self.version += 1

    def position(self, epoch_seconds: int, *, inclusive: bool) -> int:
        """Index of the first row with sys_updated_on >= (or >) the given time."""
        if inclusive:
            return bisect.bisect_left(self._keys, (epoch_seconds, ""))
        return bisect.bisect_right(self._keys, (epoch_seconds, "\uffff"))

    def position_after(self, key: tuple[int, str]) -> int:
        """Index of the first row whose (sys_updated_on, sys_id) is greater than ``key``."""
        return bisect.bisect_right(self._keys, key)

    def rows(self, start: int, stop: int) -> list[RecordT]:
        return [self._by_id[sys_id] for _, sys_id in self._keys[start:stop]]

    def ordered(self) -> Iterator[RecordT]:
        """All rows by (sys_updated_on, sys_id)."""
        for _, sys_id in self._keys:
            yield self._by_id[sys_id]

    def by_sys_id(self) -> list[RecordT]:
        return [self._by_id[k] for k in sorted(self._by_id)]

    def index_size(self) -> int:
        return len(self._keys)
