"""The simulator's Jira records: users, issues with their change history, projects, and a
store kept in the order Jira search pages them (``updated >= X ORDER BY updated ASC, key
ASC``: the first row found by bisection, a page costs O(page)).

All access goes through ``SimulatorStore.lock``, as for the ServiceNow records.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

# statusCategory key/id pairs (reference §2): new 2 "To Do", indeterminate 4 "In Progress",
# done 3 "Done".
STATUS_CATEGORIES: Final = {
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}
STATUSES: Final = {  # name -> (id, category key)
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "Blocked": ("10002", "indeterminate"),
    "In Review": ("10003", "indeterminate"),
    "Done": ("10001", "done"),
    "Won't Do": ("10004", "done"),
}
PRIORITIES: Final = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
RESOLUTIONS: Final = {"Done": "10000", "Won't Do": "10001"}
ISSUE_TYPES: Final = {"Bug": "10004", "Task": "10002", "Story": "10001", "Incident": "10005"}


@dataclass(frozen=True, slots=True)
class JiraUser:
    account_id: str
    display_name: str
    email: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class JiraChange:
    field: str  # "status", "assignee", "labels", ...
    from_id: str | None
    from_string: str | None
    to_id: str | None
    to_string: str | None


@dataclass(frozen=True, slots=True)
class JiraHistory:
    id: int
    author: str | None  # accountId
    created: int  # epoch ms
    items: tuple[JiraChange, ...]


@dataclass(slots=True)
class JiraIssue:
    id: int
    project: str
    number: int
    summary: str
    status: str  # a key of STATUSES
    priority: str  # a key of PRIORITIES
    issue_type: str
    created: int  # epoch ms
    updated: int  # epoch ms
    assignee: str | None = None  # accountId
    reporter: str | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    resolution: str | None = None
    resolutiondate: int | None = None
    history: list[JiraHistory] = field(default_factory=list)
    sla_breached: bool | None = None  # the story's say; None: the SLA clock decides
    pinned: bool = False

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"

    @property
    def status_category(self) -> str:
        return STATUSES[self.status][1]

    @property
    def sort_key(self) -> tuple[int, str, int]:
        # JQL "ORDER BY updated ASC, key ASC": a key sorts by project, then number as a number.
        return (self.updated, self.project, self.number)


@dataclass(slots=True)
class JiraProjectRecord:
    id: str
    key: str
    name: str
    components: dict[str, str]  # name -> id


class JiraStore:
    def __init__(self) -> None:
        self.projects: dict[str, JiraProjectRecord] = {}
        self.users: dict[str, JiraUser] = {}
        self.version = 0
        self._by_id: dict[int, JiraIssue] = {}
        self._by_key: dict[str, JiraIssue] = {}
        self._keys: list[tuple[int, str, int]] = []
        self._next_id = 10001
        self._next_number: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def new_issue_id(self) -> int:
        issue_id = self._next_id
        self._next_id += 1
        return issue_id

    def new_number(self, project: str) -> int:
        number = self._next_number.get(project, 0) + 1
        self._next_number[project] = number
        return number

    def get(self, id_or_key: str) -> JiraIssue | None:
        if id_or_key.isdigit():
            return self._by_id.get(int(id_or_key))
        return self._by_key.get(id_or_key.upper())

    def add(self, issue: JiraIssue) -> None:
        self._by_id[issue.id] = issue
        self._by_key[issue.key] = issue
        bisect.insort(self._keys, issue.sort_key)
        self.version += 1

    def reindex(self, issue: JiraIssue, old_updated: int) -> None:
        old_key = (old_updated, issue.project, issue.number)
        index = bisect.bisect_left(self._keys, old_key)
        if index < len(self._keys) and self._keys[index] == old_key:
            del self._keys[index]
        bisect.insort(self._keys, issue.sort_key)
        self.version += 1

    def position_after(self, key: tuple[int, str, int]) -> int:
        return bisect.bisect_right(self._keys, key)

    def position_updated(self, epoch_ms: int, *, inclusive: bool) -> int:
        if inclusive:
            return bisect.bisect_left(self._keys, (epoch_ms, "", 0))
        return bisect.bisect_right(self._keys, (epoch_ms, "\uffff", 0))

    def ordered_from(self, start: int) -> Iterator[JiraIssue]:
        for _, project, number in self._keys[start:]:
            yield self._by_key[f"{project}-{number}"]

    def all(self) -> list[JiraIssue]:
        return list(self._by_id.values())
