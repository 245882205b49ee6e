"""The simulator's PagerDuty account: the on-call incidents of the demo story and their log.

An incident is kept as PagerDuty REST API v2 lists it (the shape
integrations/connectors/pagerduty.py reads, as its docstring cites it: ``id``,
``incident_number``, ``title``, ``status``, ``urgency``, ``priority.summary``,
``service.summary``, ``teams[].summary``, ``assignments[].assignee.summary``, ``html_url``,
``created_at``, ``updated_at``, ``last_status_change_at``, ``resolved_at``), and every change
writes the log entry PagerDuty would (``trigger_log_entry``, ``acknowledge_log_entry``,
``assign_log_entry``, ``escalate_log_entry``, ``resolve_log_entry``), naming its incident.

The services are named after the systems they page for, as the story's configuration items
are (``payments-gateway``), so the demo's link rules on ``ci`` attach them to the same
dependencies as the ServiceNow incidents. ``html_url`` is filled in per request, with the
simulator's own address (see .pagerduty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from .scenario import LENDING_API_CI

OnCallStatus = Literal["triggered", "acknowledged", "resolved"]
EventKind = Literal["acknowledge", "assign", "escalate", "resolve"]


@dataclass(frozen=True, slots=True)
class OnCallEvent:
    kind: EventKind
    hours_after_trigger: float
    person: str = ""  # who acknowledged or resolved, or who it was assigned to


@dataclass(frozen=True, slots=True)
class OnCallIncident:
    """A PagerDuty incident of the demo story; its status follows from its events."""

    title: str
    service: str
    priority: str | None  # "P1".."P5", None when the account has priorities off
    urgency: Literal["high", "low"]
    team: str
    first_responder: str
    triggered_days_ago: float
    events: tuple[OnCallEvent, ...] = ()


# The story's pages, numbered from 1001 in this order (PD-1001..).
DEMO_ON_CALL: Final = (
    # PD-1001: the night the lending integration broke; still acknowledged, escalated twice.
    OnCallIncident(
        title="Lending API: loan booking handoff to core banking failing (504 rate 38%)",
        service=LENDING_API_CI,
        priority="P1",
        urgency="high",
        team="Core Banking Support",
        first_responder="Jonas Berg",
        triggered_days_ago=18,
        events=(
            OnCallEvent("escalate", 0.25, "Maya Cohen"),
            OnCallEvent("acknowledge", 0.3, "Maya Cohen"),
            OnCallEvent("assign", 30, "Noah Schmidt"),
            OnCallEvent("acknowledge", 30.5, "Noah Schmidt"),
            OnCallEvent("assign", 200, "Farid Rahimi"),
            OnCallEvent("acknowledge", 201, "Farid Rahimi"),
        ),
    ),
    # PD-1002: paged, worked and resolved within the hour.
    OnCallIncident(
        title="Payments gateway: p99 latency above 2 s",
        service="payments-gateway",
        priority="P2",
        urgency="high",
        team="Payments Operations",
        first_responder="Pablo Ruiz",
        triggered_days_ago=6,
        events=(OnCallEvent("acknowledge", 0.1, "Pablo Ruiz"), OnCallEvent("resolve", 0.8)),
    ),
    # PD-1003: a low-urgency page nobody has picked up yet.
    OnCallIncident(
        title="KYC vendor callbacks slower than the 30 s objective",
        service="kyc-verification",
        priority="P4",
        urgency="low",
        team="Identity & Access",
        first_responder="Kavya Iyer",
        triggered_days_ago=0.5,
    ),
)

FIRST_NUMBER: Final = 1001


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slug(name: str) -> str:
    return "".join(c for c in name.upper() if c.isalnum())[:6].ljust(6, "X")


def _ref(kind: str, name: str) -> dict[str, Any]:
    ident = f"P{_slug(name)}"
    return {"id": ident, "type": f"{kind}_reference", "summary": name, "self": "", "html_url": ""}


class PagerDutyAccount:
    """The incidents by id and the account's log entries, oldest first. Reads and writes go
    under the simulator store's lock."""

    def __init__(self) -> None:
        self.incidents: dict[str, dict[str, Any]] = {}
        self.log_entries: list[dict[str, Any]] = []
        self._next_number = FIRST_NUMBER

    def load(self, story: tuple[OnCallIncident, ...], *, now: datetime) -> None:
        for page in story:
            triggered = now - timedelta(days=page.triggered_days_ago)
            record = self.trigger(page, at=triggered)
            for event in page.events:
                at = triggered + timedelta(hours=event.hours_after_trigger)
                if at <= now:
                    self.change(record["id"], event.kind, at=at, person=event.person)

    def trigger(self, page: OnCallIncident, *, at: datetime) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        ident = f"Q{number:06d}"
        stamp = iso(at)
        record: dict[str, Any] = {
            "id": ident,
            "type": "incident",
            "summary": f"[#{number}] {page.title}",
            "self": "",
            "html_url": "",
            "incident_number": number,
            "title": page.title,
            "created_at": stamp,
            "updated_at": stamp,
            "status": "triggered",
            "incident_key": f"cataligent-demo-{number}",
            "service": _ref("service", page.service),
            "assignments": [{"at": stamp, "assignee": _ref("user", page.first_responder)}],
            "acknowledgements": [],
            "last_status_change_at": stamp,
            "resolved_at": None,
            "escalation_policy": _ref("escalation_policy", f"{page.team} on call"),
            "teams": [_ref("team", page.team)],
            "priority": (
                {"id": f"PPRI{page.priority}", "type": "priority", "summary": page.priority}
                if page.priority
                else None
            ),
            "urgency": page.urgency,
        }
        self.incidents[ident] = record
        self._log("trigger", record, at)
        return record

    def change(self, ident: str, kind: EventKind, *, at: datetime, person: str = "") -> None:
        """Acknowledge, (re)assign, escalate or resolve, as PagerDuty records each."""
        record = self.incidents[ident]
        stamp = iso(at)
        if kind == "acknowledge":
            record.update(status="acknowledged", last_status_change_at=stamp)
            record["acknowledgements"] = [{"at": stamp, "acknowledger": _ref("user", person)}]
        elif kind in ("assign", "escalate"):
            # A new responder is paged: the incident is triggered again, for them.
            record.update(status="triggered", last_status_change_at=stamp, acknowledgements=[])
            record["assignments"] = [{"at": stamp, "assignee": _ref("user", person)}]
        else:
            # PagerDuty clears the assignments of a resolved incident.
            record.update(status="resolved", resolved_at=stamp, last_status_change_at=stamp)
            record["assignments"] = []
        record["updated_at"] = stamp
        self._log(kind, record, at)

    def _log(self, kind: str, record: dict[str, Any], at: datetime) -> None:
        self.log_entries.append(
            {
                "id": f"R{len(self.log_entries) + 1:08d}",
                "type": f"{kind}_log_entry",
                "summary": f"{kind.capitalize()} of [#{record['incident_number']}]",
                "created_at": iso(at),
                "incident": {"id": record["id"], "type": "incident_reference"},
            }
        )
