"""Deterministic ticket generation and mutation: the same seed gives the same tickets and the
same sequence of changes, so tests can assert on them and demos replay the same way."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeVar
from zoneinfo import ZoneInfo

from .records import (
    IMPACT_URGENCY_FOR_PRIORITY,
    STATE_CODES,
    STATUSES,
    Change,
    Incident,
    JiraChange,
    JiraHistory,
    JiraIssue,
    JiraProjectRecord,
    JiraStore,
    JiraUser,
    ServiceNowTable,
    stable_sys_id,
)
from .scenario import NOISE_LABELS, NOISE_SYMPTOMS, Scenario, ScenarioIncident, ScenarioIssue
from .timestamps import to_epoch_ms, to_epoch_seconds


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

# Background priority mix, close to the real log's (mostly 3 - Moderate, few 1s and 2s).
_PRIORITY_WEIGHTS: Final = (("1", 1), ("2", 3), ("3", 60), ("4", 30), ("5", 6))
_JIRA_PRIORITY_WEIGHTS: Final = (
    ("Highest", 2),
    ("High", 10),
    ("Medium", 60),
    ("Low", 22),
    ("Lowest", 6),
)
_CLOSE_CODES: Final = ("Solved (Permanently)", "Solved (Work Around)", "Closed/Resolved by Caller")
_INTEGRATION_USER: Final = "svc.cataligent"
_HOUR: Final = 3600


class _RandomSet:
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
class _Pools:
    """sys_ids of the reference rows tickets are drawn from."""

    groups: tuple[str, ...]
    people: tuple[str, ...]
    cis: tuple[str, ...]
    loud_cis: tuple[str, ...]  # CIs background P1/P2 incidents may name
    services: tuple[str, ...]


def _weighted(rng: random.Random, weights: tuple[tuple[T, int], ...]) -> T:
    total = sum(weight for _, weight in weights)
    pick = rng.random() * total
    for value, weight in weights:
        pick -= weight
        if pick < 0:
            return value
    return weights[-1][0]


def _user_name(display_name: str) -> str:
    return display_name.lower().replace(" ", ".").replace("'", "")


class TicketGenerator:
    def __init__(self, store: TicketStore, *, seed: int, scenario: Scenario) -> None:
        self.store = store
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.open_incidents = _RandomSet()
        self.open_issues = _RandomSet()
        self.resolved_incidents = _RandomSet()
        self._pools: _Pools | None = None
        self._history_id = 100000

    # reference data -------------------------------------------------------------------------

    def pools(self) -> _Pools:
        if self._pools is not None:
            return self._pools
        store, scenario = self.store, self.scenario
        people = tuple(
            store.reference_id(
                "sys_user",
                person,
                user_name=_user_name(person),
                email=f"{_user_name(person)}@example.com",
                time_zone="GMT",
                active="true",
            )
            for person in scenario.people
        )
        store.reference_id(
            "sys_user",
            "Cataligent Integration",
            user_name=_INTEGRATION_USER,
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
                email=f"{_user_name(person)}@example.com",
                time_zone=str(store.jira_zone),
            )
        self._pools = _Pools(groups, people, cis, loud or cis, services)
        return self._pools

    def jira_account(self, display_name: str | None) -> str | None:
        if display_name is None:
            return None
        return stable_sys_id("jira-user", display_name)[:24]

    # ServiceNow -----------------------------------------------------------------------------

    def _incident(self, *, updated: int, opened: int, priority: str) -> Incident:
        pools, rng = self.pools(), self.rng
        impact, urgency = IMPACT_URGENCY_FOR_PRIORITY[priority]
        ci = rng.choice(pools.loud_cis if priority in ("1", "2") else pools.cis)
        ci_name = self.store.display_value("cmdb_ci", ci)
        caller = rng.choice(pools.people)
        return Incident(
            sys_id=f"{rng.getrandbits(128):032x}",
            number=self.store.new_incident_number(),
            short_description=f"{ci_name}: {rng.choice(NOISE_SYMPTOMS)}",
            state=STATE_CODES["new"],
            priority=priority,
            impact=impact,
            urgency=urgency,
            sys_created_on=opened,
            sys_updated_on=updated,
            opened_at=opened,
            assignment_group=rng.choice(pools.groups),
            cmdb_ci=ci,
            business_service=rng.choice(pools.services),
            caller_id=caller,
            opened_by=caller,
            sys_created_by=_INTEGRATION_USER,
            sys_updated_by=_INTEGRATION_USER,
            sys_mod_count=1,
        )

    def _finish(self, incident: Incident, state: str, at: int) -> None:
        incident.state = STATE_CODES[state]
        if not incident.resolved_at:
            incident.made_sla = "true" if self._sla_met(incident) else "false"
        incident.resolved_at = incident.resolved_at or at
        incident.resolved_by = incident.assigned_to
        incident.close_code = incident.close_code or self.rng.choice(_CLOSE_CODES)
        if state == "closed":
            incident.closed_at = at
            incident.closed_by = incident.assigned_to

    def _sla_met(self, incident: Incident) -> bool:
        """About one background incident in eight breaches its SLA, the same ones on every
        run (by sys_id, so the random stream is untouched); none on the story's green CIs."""
        ci = self.store.display_value("cmdb_ci", incident.cmdb_ci) if incident.cmdb_ci else ""
        if ci in self.scenario.sla_always_met:
            return True
        return int(incident.sys_id[:2], 16) >= 32

    def preload(self, *, incidents: int, issues: int, span: timedelta) -> None:
        store, rng = self.store, self.rng
        now = store.now()
        end = to_epoch_seconds(now)
        start = end - int(span.total_seconds())
        self._add_scenario(now)
        pools = self.pools()
        step = (end - start) / max(incidents, 1)
        batch = []
        for index in range(incidents):
            updated = start + int((index + rng.random()) * step)
            opened = updated - int(rng.uniform(0.1, 72) * _HOUR)
            incident = self._incident(
                updated=updated, opened=opened, priority=_weighted(rng, _PRIORITY_WEIGHTS)
            )
            bounces = _weighted(rng, ((0, 60), (1, 25), (2, 10), (3, 4), (5, 1)))
            # Tickets touched lately are more often still open, as in a real queue.
            recent = end - updated < 2 * 86400
            if rng.random() < (0.5 if recent else 0.08):
                incident.state = rng.choice(("1", "2", "2", "2", "3"))
                if incident.priority in ("1", "2"):
                    bounces = max(bounces, 2)  # the "bounced while open" pattern
            else:
                incident.assigned_to = rng.choice(pools.people)
                self._finish(incident, "closed" if rng.random() < 0.7 else "resolved", updated)
            if incident.state != "1":
                incident.assigned_to = incident.assigned_to or rng.choice(pools.people)
            incident.reassignment_count = bounces
            incident.sys_mod_count = 1 + bounces + rng.randint(0, 4)
            batch.append(incident)
            self.track(incident)
        store.load_incidents([*store.incidents.ordered(), *batch])
        self._preload_issues(issues, start, end)

    def track(self, incident: Incident) -> None:
        self.open_incidents.discard(incident.sys_id)
        self.resolved_incidents.discard(incident.sys_id)
        if incident.is_open:
            self.open_incidents.add(incident.sys_id)
        elif incident.state == STATE_CODES["resolved"]:
            self.resolved_incidents.add(incident.sys_id)

    def _add_scenario(self, now: datetime) -> None:
        for spec in self.scenario.incidents:
            self._scenario_incident(spec, now)
        for issue_spec in self.scenario.issues:
            self._scenario_issue(issue_spec, now)

    def _scenario_incident(self, spec: ScenarioIncident, now: datetime) -> None:
        store, pools = self.store, self.pools()
        opened = to_epoch_seconds(now - timedelta(days=spec.opened_days_ago))
        updated = to_epoch_seconds(now - timedelta(days=spec.updated_days_ago))
        priority = str(spec.priority)
        impact, urgency = IMPACT_URGENCY_FOR_PRIORITY[priority]
        group_ids = [
            store.reference_id("sys_user_group", g, active="true") for g in spec.assignment_groups
        ]
        incident = Incident(
            sys_id=stable_sys_id("scenario", spec.short_description),
            number=store.new_incident_number(),
            short_description=spec.short_description,
            state=STATE_CODES[spec.state],
            priority=priority,
            impact=impact,
            urgency=urgency,
            sys_created_on=opened,
            sys_updated_on=updated,
            opened_at=opened,
            assignment_group=group_ids[-1] if group_ids else "",
            assigned_to=""
            if spec.state == "new"
            else pools.people[len(group_ids) % len(pools.people)],
            cmdb_ci=store.reference_id(
                "cmdb_ci", spec.configuration_item, sys_class_name="cmdb_ci_appl"
            ),
            business_service=store.reference_id(
                "cmdb_ci_service", spec.business_service, sys_class_name="cmdb_ci_service"
            ),
            caller_id=pools.people[0],
            opened_by=pools.people[0],
            reassignment_count=max(len(group_ids) - 1, 0),
            sys_mod_count=2 * len(group_ids) + 1,
            close_code=spec.close_code,
            sys_created_by=_INTEGRATION_USER,
            sys_updated_by=_INTEGRATION_USER,
            reopen_count=spec.reopen_count,
            pinned=True,
        )
        if spec.state in ("resolved", "closed"):
            if spec.resolved_minutes_after_open is not None:
                incident.resolved_at = opened + int(spec.resolved_minutes_after_open * 60)
            self._finish(incident, spec.state, updated)
        incident.made_sla = "true" if spec.made_sla else "false"
        store.save_incident(incident)
        self.track(incident)

    # Jira -----------------------------------------------------------------------------------

    def _new_issue(self, *, project: str, created: int, updated: int) -> JiraIssue:
        rng, store = self.rng, self.store
        record = store.jira.projects[project]
        components = (
            [rng.choice(list(record.components))]
            if record.components and rng.random() < 0.8
            else []
        )
        labels = [rng.choice(NOISE_LABELS)] if rng.random() < 0.4 else []
        return JiraIssue(
            id=store.jira.new_issue_id(),
            project=project,
            number=store.jira.new_number(project),
            summary=f"{components[0] if components else project}: {rng.choice(NOISE_SYMPTOMS)}",
            status="To Do",
            priority=_weighted(rng, _JIRA_PRIORITY_WEIGHTS),
            issue_type=rng.choice(("Bug", "Bug", "Task", "Story")),
            created=created,
            updated=updated,
            reporter=rng.choice(list(store.jira.users)),
            labels=labels,
            components=components,
        )

    def _preload_issues(self, count: int, start: int, end: int) -> None:
        if count <= 0 or not self.store.jira.projects:
            return
        rng = self.rng
        projects = list(self.store.jira.projects)
        step_ms = (end - start) * 1000 / count
        for index in range(count):
            updated = start * 1000 + int((index + rng.random()) * step_ms)
            created = updated - int(rng.uniform(0.5, 240) * _HOUR * 1000)
            issue = self._new_issue(project=rng.choice(projects), created=created, updated=updated)
            recent = end * 1000 - updated < 3 * 86_400_000
            if rng.random() < (0.6 if recent else 0.15):
                issue.status = rng.choice(("To Do", "In Progress", "In Progress", "In Review"))
            else:
                issue.status = "Done"
                issue.resolution, issue.resolutiondate = "Done", updated
            if issue.status != "To Do":
                issue.assignee = rng.choice(list(self.store.jira.users))
            self.store.jira.add(issue)
            self._track_issue(issue)

    def _track_issue(self, issue: JiraIssue) -> None:
        if issue.status_category == "done":
            self.open_issues.discard(issue.key)
        else:
            self.open_issues.add(issue.key)

    def _history(self, issue: JiraIssue, at: int, *items: JiraChange) -> None:
        self._history_id += 1
        issue.history.append(JiraHistory(self._history_id, issue.assignee, at, tuple(items)))

    def _scenario_issue(self, spec: ScenarioIssue, now: datetime) -> None:
        store = self.store
        self.pools()
        if spec.project not in store.jira.projects:
            raise ValueError(f"scenario issue names unknown Jira project {spec.project}")
        created = to_epoch_ms(now - timedelta(days=spec.opened_days_ago))
        updated = to_epoch_ms(now - timedelta(days=spec.updated_days_ago))
        issue = JiraIssue(
            id=store.jira.new_issue_id(),
            project=spec.project,
            number=store.jira.new_number(spec.project),
            summary=spec.summary,
            status=spec.status,
            priority=spec.priority,
            issue_type=spec.issue_type,
            created=created,
            updated=updated,
            labels=list(spec.labels),
            components=list(spec.components),
            sla_breached=spec.sla_breached,
            pinned=True,
        )
        # Spread the assignment history between creation and the last update.
        previous: str | None = None
        steps = len(spec.assignees)
        for step, name in enumerate(spec.assignees):
            account = self.jira_account(name)
            at = created + (updated - created) * (step + 1) // (steps + 1)
            if account != previous:
                issue.assignee = account
                self._history(
                    issue,
                    at,
                    JiraChange(
                        "assignee",
                        previous,
                        store.jira.users[previous].display_name if previous else None,
                        account,
                        name,
                    ),
                )
            previous = account
        if spec.status in ("Done", "Won't Do"):
            issue.resolution, issue.resolutiondate = spec.status, updated
        store.jira.add(issue)
        self._track_issue(issue)

    # mutation -------------------------------------------------------------------------------

    def tick(self, *, at: datetime, changes: int) -> list[Change]:
        stamp = to_epoch_seconds(at)
        self.pools()
        made: list[Change] = []
        for _ in range(changes):
            use_jira = bool(self.store.jira.projects) and self.rng.random() < 0.3
            change = (
                self._mutate_issue(to_epoch_ms(at)) if use_jira else self._mutate_incident(stamp)
            )
            if change is not None:
                made.append(change)
        return made

    def _mutate_incident(self, at: int) -> Change | None:
        rng, store, pools = self.rng, self.store, self.pools()
        action = _weighted(
            rng, (("create", 25), ("progress", 30), ("reassign", 25), ("close", 12), ("hold", 8))
        )
        if action == "create" or not len(self.open_incidents):
            incident = self._incident(
                updated=at, opened=at, priority=_weighted(rng, _PRIORITY_WEIGHTS)
            )
            store.save_incident(incident)
            self.track(incident)
            return Change("servicenow", incident.number, "created", incident.short_description)
        if action == "close":
            sys_id = self.resolved_incidents.choice(rng)
        else:
            sys_id = self.open_incidents.choice(rng)
        found = store.incidents.get(sys_id) if sys_id else None
        if found is None:
            return None
        incident = found
        if incident.pinned and action != "reassign":
            action = "reassign" if incident.is_open else "none"
            if action == "none":
                return None
        old_updated = incident.sys_updated_on
        detail = ""
        if action == "reassign":
            group = rng.choice([g for g in pools.groups if g != incident.assignment_group])
            incident.assignment_group = group
            incident.assigned_to = rng.choice(pools.people)
            incident.reassignment_count += 1
            if incident.state == STATE_CODES["new"]:
                incident.state = STATE_CODES["in_progress"]
            detail = store.display_value("sys_user_group", group)
            name = "reassigned"
        elif action == "progress":
            if incident.state == STATE_CODES["new"]:
                incident.state = STATE_CODES["in_progress"]
                incident.assigned_to = incident.assigned_to or rng.choice(pools.people)
                name = "progressed"
            elif incident.state == STATE_CODES["on_hold"]:
                incident.state, incident.hold_reason = STATE_CODES["in_progress"], ""
                name = "progressed"
            else:
                self._finish(incident, "resolved", at)
                name = "resolved"
        elif action == "hold":
            incident.state, incident.hold_reason = STATE_CODES["on_hold"], "1"
            name = "put_on_hold"
        else:  # close a resolved incident
            self._finish(incident, "closed", at)
            name = "closed"
        incident.sys_updated_on = at
        incident.sys_mod_count += 1
        incident.sys_updated_by = _INTEGRATION_USER
        store.save_incident(incident, old_updated=old_updated)
        self.track(incident)
        return Change("servicenow", incident.number, name, detail)

    def _mutate_issue(self, at: int) -> Change | None:
        rng, store = self.rng, self.store
        action = _weighted(rng, (("create", 30), ("transition", 45), ("reassign", 25)))
        if action == "create" or not len(self.open_issues):
            issue = self._new_issue(
                project=rng.choice(list(store.jira.projects)), created=at, updated=at
            )
            store.jira.add(issue)
            self._track_issue(issue)
            return Change("jira", issue.key, "created", issue.summary)
        key = self.open_issues.choice(rng)
        found = store.jira.get(key) if key else None
        if found is None:
            return None
        issue = found
        if issue.pinned:
            action = "reassign"
        old_updated = issue.updated
        users = list(store.jira.users)
        if action == "reassign":
            account = rng.choice([u for u in users if u != issue.assignee] or users)
            previous = issue.assignee
            issue.assignee = account
            self._history(
                issue,
                at,
                JiraChange(
                    "assignee",
                    previous,
                    store.jira.users[previous].display_name if previous else None,
                    account,
                    store.jira.users[account].display_name,
                ),
            )
            name = "reassigned"
        else:
            moves = {
                "To Do": ("In Progress",),
                "In Progress": ("In Review", "Blocked", "Done"),
                "Blocked": ("In Progress",),
                "In Review": ("Done", "In Progress"),
            }
            target = rng.choice(moves.get(issue.status, ("Done",)))
            self._history(
                issue,
                at,
                JiraChange(
                    "status",
                    STATUSES[issue.status][0],
                    issue.status,
                    STATUSES[target][0],
                    target,
                ),
            )
            issue.status = target
            if target == "Done":
                issue.resolution, issue.resolutiondate = "Done", at
            if issue.assignee is None:
                issue.assignee = rng.choice(users)
            name = "resolved" if target == "Done" else "transitioned"
        issue.updated = at
        store.jira.reindex(issue, old_updated)
        self._track_issue(issue)
        return Change("jira", issue.key, name, issue.status)
