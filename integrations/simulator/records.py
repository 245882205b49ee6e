"""The simulator's records: the ServiceNow tables (servicenow_records), the Jira issues
(jira_records), and the :class:`Change` a tick of the generator makes.

The ServiceNow and Jira names are importable from here as well, as they were before each
source's records got a module of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from .jira_records import (
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUS_CATEGORIES,
    STATUSES,
    JiraChange,
    JiraHistory,
    JiraIssue,
    JiraProjectRecord,
    JiraStore,
    JiraUser,
)
from .servicenow_records import (
    CHOICE_LABELS,
    IMPACT_LABELS,
    IMPACT_URGENCY_FOR_PRIORITY,
    INACTIVE_STATES,
    INCIDENT_FIELDS,
    INCIDENT_REFERENCES,
    OPEN_STATES,
    PRIORITY_LABELS,
    REFERENCE_TABLES,
    STATE_CODES,
    STATE_LABELS,
    Incident,
    ReferenceRecord,
    ServiceNowTable,
    TableRecord,
    stable_sys_id,
)

__all__ = [
    "CHOICE_LABELS",
    "IMPACT_LABELS",
    "IMPACT_URGENCY_FOR_PRIORITY",
    "INACTIVE_STATES",
    "INCIDENT_FIELDS",
    "INCIDENT_REFERENCES",
    "ISSUE_TYPES",
    "OPEN_STATES",
    "PRIORITIES",
    "PRIORITY_LABELS",
    "REFERENCE_TABLES",
    "RESOLUTIONS",
    "STATE_CODES",
    "STATE_LABELS",
    "STATUSES",
    "STATUS_CATEGORIES",
    "Change",
    "Incident",
    "JiraChange",
    "JiraHistory",
    "JiraIssue",
    "JiraProjectRecord",
    "JiraStore",
    "JiraUser",
    "ReferenceRecord",
    "ServiceNowTable",
    "TableRecord",
    "stable_sys_id",
]


@dataclass(frozen=True, slots=True)
class Change:
    """One mutation made by ``tick()``, for tests and the simulator's log."""

    source: str  # "servicenow" or "jira"
    key: str  # INC0010001, LEND-3
    action: str  # created, progressed, reassigned, resolved, closed, put_on_hold, ...
    detail: str = ""
