"""The Jira half of the simulator's generator: background and story issues with their
change history, and the changes a tick makes to them (created, transitioned, reassigned)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from .generation import HOUR, GeneratorState, weighted
from .jira_records import STATUSES, JiraChange, JiraHistory, JiraIssue
from .records import Change
from .scenario import NOISE_LABELS, NOISE_SYMPTOMS, ScenarioIssue
from .timestamps import to_epoch_ms

__all__ = ["ISSUE_PRIORITY_WEIGHTS", "IssueGeneration"]

ISSUE_PRIORITY_WEIGHTS: Final = (
    ("Highest", 2),
    ("High", 10),
    ("Medium", 60),
    ("Low", 22),
    ("Lowest", 6),
)


class IssueGeneration(GeneratorState):
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
            priority=weighted(rng, ISSUE_PRIORITY_WEIGHTS),
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
            created = updated - int(rng.uniform(0.5, 240) * HOUR * 1000)
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

    def _mutate_issue(self, at: int) -> Change | None:
        rng, store = self.rng, self.store
        action = weighted(rng, (("create", 30), ("transition", 45), ("reassign", 25)))
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
