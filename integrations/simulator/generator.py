"""Deterministic ticket generation and mutation: the same seed gives the same tickets and the
same sequence of changes, so tests can assert on them and demos replay the same way.

:class:`TicketGenerator` is the ServiceNow half (servicenow_generation) and the Jira half
(jira_generation) over one seeded random stream (generation.GeneratorState)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .generation import HOUR, weighted
from .jira_generation import IssueGeneration
from .records import Change
from .servicenow_generation import INCIDENT_PRIORITY_WEIGHTS, IncidentGeneration
from .timestamps import to_epoch_ms, to_epoch_seconds

__all__ = ["TicketGenerator"]


class TicketGenerator(IncidentGeneration, IssueGeneration):
    """``TicketGenerator(store, seed=..., scenario=...)``: :meth:`preload` fills the store,
    :meth:`tick` changes it."""

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
            opened = updated - int(rng.uniform(0.1, 72) * HOUR)
            incident = self._incident(
                updated=updated, opened=opened, priority=weighted(rng, INCIDENT_PRIORITY_WEIGHTS)
            )
            bounces = weighted(rng, ((0, 60), (1, 25), (2, 10), (3, 4), (5, 1)))
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

    def _add_scenario(self, now: datetime) -> None:
        for spec in self.scenario.incidents:
            self._scenario_incident(spec, now)
        for issue_spec in self.scenario.issues:
            self._scenario_issue(issue_spec, now)

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
