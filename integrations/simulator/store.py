"""The simulator's store: the sources' records plus the seeded generator that changes them.

All access goes through ``SimulatorStore.lock``: HTTP requests read under it while the
mutation thread writes. The records and their tables are in ``servicenow_records`` and
``jira_records``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from .generator import TicketGenerator
from .jira_records import JiraIssue, JiraStore
from .oncall import DEMO_ON_CALL, OnCallIncident, PagerDutyAccount
from .records import Change
from .scenario import DEMO_SCENARIO, Scenario
from .servicenow_records import (
    INCIDENT_FIELDS,
    INCIDENT_REFERENCES,
    REFERENCE_TABLES,
    Incident,
    ReferenceRecord,
    ServiceNowTable,
    stable_sys_id,
)
from .timestamps import servicenow_parse, utc_now


class SimulatorStore:
    """Both sources' data plus the seeded generator that makes it change over time."""

    def __init__(
        self,
        *,
        seed: int = 0,
        scenario: Scenario = DEMO_SCENARIO,
        clock: Callable[[], datetime] = utc_now,
        jira_time_zone: str = "Europe/Berlin",
        servicenow_time_zone: str = "GMT",
        on_call: tuple[OnCallIncident, ...] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed = seed
        self.scenario = scenario
        self.jira_zone = ZoneInfo(jira_time_zone)
        self.servicenow_time_zone = servicenow_time_zone
        self.incidents: ServiceNowTable[Incident] = ServiceNowTable(
            "incident", INCIDENT_FIELDS, INCIDENT_REFERENCES, display_field="number"
        )
        self.reference_tables: dict[str, ServiceNowTable[ReferenceRecord]] = {
            name: ServiceNowTable(name, fields, references, display)
            for name, (fields, references, display) in REFERENCE_TABLES.items()
        }
        self.jira = JiraStore()
        # PagerDuty: the story's on-call incidents (the demo scenario's by default), loaded
        # by preload(); the random changes leave them be.
        self.pagerduty = PagerDutyAccount()
        self.on_call = (
            on_call if on_call is not None else DEMO_ON_CALL if scenario is DEMO_SCENARIO else ()
        )
        self._numbers: dict[str, str] = {}  # incident number -> sys_id
        self._next_incident = 10001
        self.generator = TicketGenerator(self, seed=seed, scenario=scenario)

    # ServiceNow ---------------------------------------------------------------------------

    def table(
        self, name: str
    ) -> ServiceNowTable[Incident] | ServiceNowTable[ReferenceRecord] | None:
        if name == "incident":
            return self.incidents
        return self.reference_tables.get(name)

    def new_incident_number(self) -> str:
        number = f"INC{self._next_incident:07d}"
        self._next_incident += 1
        return number

    def reference_id(self, table: str, name: str, **attributes: str) -> str:
        """The sys_id of the row called ``name`` in ``table``, created on first use."""
        if not name:
            return ""
        sys_id = stable_sys_id(table, name)
        rows = self.reference_tables[table]
        if rows.get(sys_id) is None:
            record = ReferenceRecord(sys_id, name, _EPOCH_2016, dict(attributes))
            if REFERENCE_TABLES[table][2] == "number":
                record.attributes.setdefault("number", name)
            rows.upsert(record)
        return sys_id

    def display_value(self, table: str, sys_id: str) -> str:
        rows = self.reference_tables.get(table)
        record = rows.get(sys_id) if rows is not None else None
        if record is None:
            return ""
        return record.value(REFERENCE_TABLES[table][2])

    def incident(self, number_or_sys_id: str) -> Incident | None:
        sys_id = self._numbers.get(number_or_sys_id, number_or_sys_id)
        return self.incidents.get(sys_id)

    def save_incident(self, incident: Incident, *, old_updated: int | None = None) -> None:
        """Insert a new incident, or re-index one whose sys_updated_on changed."""
        if old_updated is None:
            self._numbers[incident.number] = incident.sys_id
            self.incidents.upsert(incident)
        else:
            self.incidents.reindex(incident, old_updated)

    def load_incidents(self, incidents: Iterable[Incident]) -> None:
        batch = list(incidents)
        for incident in batch:
            self._numbers[incident.number] = incident.sys_id
        self.incidents.bulk_load(batch)

    # Jira ---------------------------------------------------------------------------------

    def issue(self, key: str) -> JiraIssue | None:
        return self.jira.get(key)

    # time and change ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def preload(
        self, *, incidents: int, issues: int = 0, span: timedelta = timedelta(days=30)
    ) -> None:
        """Add the scenario's tickets and ``incidents`` + ``issues`` background tickets whose
        last updates are spread over ``span`` up to now (deterministic for a seed)."""
        with self.lock:
            self.generator.preload(incidents=incidents, issues=issues, span=span)
            if not self.pagerduty.incidents:
                self.pagerduty.load(self.on_call, now=self.clock())

    def tick(self, *, at: datetime | None = None, changes: int = 5) -> list[Change]:
        """Make ``changes`` random changes (new incidents, status moves, reassignments,
        resolutions) stamped ``at`` (default: the clock's now)."""
        with self.lock:
            return self.generator.tick(at=at or self.clock(), changes=changes)


_EPOCH_2016: Final = servicenow_parse("2016-01-01 00:00:00")
