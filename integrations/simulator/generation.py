"""What the simulator's ticket generator is made of, for both sources: the store it writes
to, the random helpers, and the reference data (groups, people, CIs, Jira projects) every
ticket is drawn from. The ServiceNow and Jira halves are servicenow_generation and
jira_generation; generator.TicketGenerator puts them together."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol, TypeVar
from zoneinfo import ZoneInfo

from .jira_records import JiraProjectRecord, JiraStore, JiraUser
from .scenario import Scenario
from .servicenow_records import Incident, ServiceNowTable, stable_sys_id

__all__ = [
    "HOUR",
    "INTEGRATION_USER",
    "GeneratorState",
    "Pools",
    "RandomSet",
    "TicketStore",
    "user_name",
    "weighted",
]


class TicketStore(Protocol):
    """What the generator needs of the store (`store.SimulatorStore`, which makes the
    generator: the store imports the generator, never the reverse)."""

    incidents: ServiceNowTable[Incident]
    jira: JiraStore
    jira_zone: ZoneInfo
    servicenow_time_zone: str

    def now(self) -> datetime: ...
    def new_incident_number(self) -> str: ...
    def reference_id(self, table: str, name: str, **attributes: str) -> str: ...
    def display_value(self, table: str, sys_id: str) -> str: ...
    def save_incident(self, incident: Incident, *, old_updated: int | None = None) -> None: ...
    def load_incidents(self, incidents: Iterable[Incident]) -> None: ...


T = TypeVar("T")

INTEGRATION_USER: Final = "svc.cataligent"
HOUR: Final = 3600


class RandomSet:
    """A set with O(1) add, remove and uniform random choice (the open tickets)."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._positions: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._positions

    def add(self, item: str) -> None:
        if item not in self._positions:
            self._positions[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: str) -> None:
        position = self._positions.pop(item, None)
        if position is None:
            return
        last = self._items.pop()
        if position < len(self._items):
            self._items[position] = last
            self._positions[last] = position

    def choice(self, rng: random.Random) -> str | None:
        return rng.choice(self._items) if self._items else None


@dataclass(frozen=True, slots=True)
class Pools:
    """sys_ids of the reference rows tickets are drawn from."""

    groups: tuple[str, ...]
    people: tuple[str, ...]
    cis: tuple[str, ...]
    loud_cis: tuple[str, ...]  # CIs background P1/P2 incidents may name
    services: tuple[str, ...]


def weighted(rng: random.Random, weights: tuple[tuple[T, int], ...]) -> T:
    total = sum(weight for _, weight in weights)
    pick = rng.random() * total
    for value, weight in weights:
        pick -= weight
        if pick < 0:
            return value
    return weights[-1][0]


def user_name(display_name: str) -> str:
    return display_name.lower().replace(" ", ".").replace("'", "")


class GeneratorState:
    """The generator's seeded random stream, the open tickets it picks from, and the
    reference data; the ServiceNow and Jira halves build on it."""

    def __init__(self, store: TicketStore, *, seed: int, scenario: Scenario) -> None:
        self.store = store
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.open_incidents = RandomSet()
        self.open_issues = RandomSet()
        self.resolved_incidents = RandomSet()
        self._pools: Pools | None = None
        self._history_id = 100000

    # reference data -------------------------------------------------------------------------

    def pools(self) -> Pools:
        if self._pools is not None:
            return self._pools
        store, scenario = self.store, self.scenario
        people = tuple(
            store.reference_id(
                "sys_user",
                person,
                user_name=user_name(person),
                email=f"{user_name(person)}@example.com",
                time_zone="GMT",
                active="true",
            )
            for person in scenario.people
        )
        store.reference_id(
            "sys_user",
            "Cataligent Integration",
            user_name=INTEGRATION_USER,
            time_zone=store.servicenow_time_zone,
            active="true",
        )
        groups = tuple(
            store.reference_id("sys_user_group", group, active="true")
            for group in scenario.assignment_groups
        )
        cis = tuple(
            store.reference_id("cmdb_ci", ci, sys_class_name="cmdb_ci_appl", operational_status="1")
            for ci in scenario.configuration_items
        )
        loud = tuple(
            stable_sys_id("cmdb_ci", ci)
            for ci in scenario.configuration_items
            if ci not in scenario.quiet_configuration_items
        )
        services = tuple(
            store.reference_id(
                "cmdb_ci_service", s, sys_class_name="cmdb_ci_service", operational_status="1"
            )
            for s in scenario.business_services
        )
        for project_number, project in enumerate(scenario.projects):
            store.jira.projects[project.key] = JiraProjectRecord(
                id=str(10000 + project_number),
                key=project.key,
                name=project.name,
                components={
                    c: str(10100 + 10 * project_number + i)
                    for i, c in enumerate(project.components)
                },
            )
        for person in scenario.people:
            account_id = stable_sys_id("jira-user", person)[:24]
            store.jira.users[account_id] = JiraUser(
                account_id=account_id,
                display_name=person,
                email=f"{user_name(person)}@example.com",
                time_zone=str(store.jira_zone),
            )
        self._pools = Pools(groups, people, cis, loud or cis, services)
        return self._pools

    def jira_account(self, display_name: str | None) -> str | None:
        if display_name is None:
            return None
        return stable_sys_id("jira-user", display_name)[:24]
