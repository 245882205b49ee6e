"""The ServiceNow half of the simulator's generator: background and story incidents, and
the changes a tick makes to them (created, progressed, reassigned, put on hold, resolved,
closed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from .generation import INTEGRATION_USER, GeneratorState, weighted
from .records import Change
from .scenario import NOISE_SYMPTOMS, ScenarioIncident
from .servicenow_records import IMPACT_URGENCY_FOR_PRIORITY, STATE_CODES, Incident, stable_sys_id
from .timestamps import to_epoch_seconds

__all__ = ["INCIDENT_PRIORITY_WEIGHTS", "IncidentGeneration"]

# Background priority mix, close to the real log's (mostly 3 - Moderate, few 1s and 2s).
INCIDENT_PRIORITY_WEIGHTS: Final = (("1", 1), ("2", 3), ("3", 60), ("4", 30), ("5", 6))
CLOSE_CODES: Final = ("Solved (Permanently)", "Solved (Work Around)", "Closed/Resolved by Caller")


class IncidentGeneration(GeneratorState):
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
            sys_created_by=INTEGRATION_USER,
            sys_updated_by=INTEGRATION_USER,
            sys_mod_count=1,
        )

    def _finish(self, incident: Incident, state: str, at: int) -> None:
        incident.state = STATE_CODES[state]
        if not incident.resolved_at:
            incident.made_sla = "true" if self._sla_met(incident) else "false"
        incident.resolved_at = incident.resolved_at or at
        incident.resolved_by = incident.assigned_to
        incident.close_code = incident.close_code or self.rng.choice(CLOSE_CODES)
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

    def track(self, incident: Incident) -> None:
        self.open_incidents.discard(incident.sys_id)
        self.resolved_incidents.discard(incident.sys_id)
        if incident.is_open:
            self.open_incidents.add(incident.sys_id)
        elif incident.state == STATE_CODES["resolved"]:
            self.resolved_incidents.add(incident.sys_id)

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
            sys_created_by=INTEGRATION_USER,
            sys_updated_by=INTEGRATION_USER,
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

    def _mutate_incident(self, at: int) -> Change | None:
        rng, store, pools = self.rng, self.store, self.pools()
        action = weighted(
            rng, (("create", 25), ("progress", 30), ("reassign", 25), ("close", 12), ("hold", 8))
        )
        if action == "create" or not len(self.open_incidents):
            incident = self._incident(
                updated=at, opened=at, priority=weighted(rng, INCIDENT_PRIORITY_WEIGHTS)
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
        incident.sys_updated_by = INTEGRATION_USER
        store.save_incident(incident, old_updated=old_updated)
        self.track(incident)
        return Change("servicenow", incident.number, name, detail)
