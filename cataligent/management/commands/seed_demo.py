"""`manage.py seed_demo`: the demo story of DESIGN §5. Safe to run again."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cataligent import demo_story as story
from cataligent.models import Team
from cataligent.services import team_save
from dependencies.graph.services import edge_ensure, escalation_policy_save, node_upsert
from dependencies.models import (
    EscalationLevel,
    EscalationPolicy,
    ImpactState,
    Node,
    StateTransition,
)
from dependencies.recompute.runner import impact_recompute
from integrations.models import Connector, LinkRule
from integrations.services import connector_save
from objectives.models import KeyResult, Objective, Period, StatusUpdate
from objectives.services import (
    objective_create,
    objective_set_requirements,
    objective_update,
    status_update_create,
)
from reports.demo import seed_demo_costs

ACTOR = "command seed_demo"


class Command(BaseCommand):
    help = "Create or refresh the demo organisation: teams, people, objectives, the graph."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            teams, nodes = self._build()
        self._backdate_blockage()
        self._status_updates()
        seed_demo_costs()  # reports/demo.py: a year of monthly run costs
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo story ready: {len(teams)} teams, {len(nodes)} nodes, "
                f"{len(story.EDGES)} edges, {len(story.OBJECTIVES)} objectives."
            )
        )
        self.stdout.write("Logins (password 'demo'): leader (leadership), lead (team lead), admin.")

    def _backdate_blockage(self) -> None:
        """The story's blockages began weeks before Cataligent looked (the first P1
        incident; the regulator's certificate); blocked-since says so, so that value lost,
        blocked hours and escalations read as they would. Each item blocked or degraded just
        now is dated from its earliest root cause's start (story.ROOT_CAUSE_SINCE_DAYS)."""
        impact_recompute(force=True, reason="command seed_demo")
        now = timezone.now()
        just_seen = now - dt.timedelta(hours=1)
        default = now - dt.timedelta(days=story.BLOCKED_FOR_DAYS)
        # The organisation modelled its graph months ago, and each override was set when
        # its blockage began: "no sign of life for 14 days" reads these dates too.
        modelled = now - dt.timedelta(days=story.MODELLED_DAYS_AGO)
        Node.objects.filter(created_at__gt=just_seen).update(created_at=modelled)
        Objective.objects.filter(created_at__gt=just_seen).update(created_at=modelled)
        for slug, days in story.ROOT_CAUSE_SINCE_DAYS.items():
            Node.objects.filter(slug=slug, manual_set_at__gt=just_seen).update(
                manual_set_at=now - dt.timedelta(days=days)
            )
        for model, item in ((Node, "node"), (Objective, "objective")):
            just_changed = model.objects.filter(
                state__in=("blocked", "degraded"),
                transitions__to_state=F("state"),
                transitions__at__gt=just_seen,
            ).distinct()
            for found in just_changed:
                days = [story.ROOT_CAUSE_SINCE_DAYS.get(slug) for slug in found.root_causes]
                known = [d for d in days if d is not None]
                began = now - dt.timedelta(days=max(known)) if known else default
                # The state history tells the same story as blocked-since: the item
                # changed state when its root cause began, not when the seed first looked.
                StateTransition.objects.filter(
                    **{item: found}, to_state=found.state, at__gt=just_seen
                ).update(at=began)
                if found.state == "blocked":
                    model.objects.filter(pk=found.pk).update(blocked_since=began)
        # The next recompute reads blocked-since back from the database.
        ImpactState.objects.filter(pk=1).update(
            structure=F("structure") + 1, reshaped=F("structure") + 1
        )

    def _status_updates(self) -> None:
        """The story's status updates, dated as the story says (once)."""
        for key, author, rag, summary, days_ago in story.STATUS_UPDATES:
            objective = Objective.objects.get(key=key)
            if objective.status_updates.filter(summary=summary).exists():
                continue
            update = status_update_create(
                objective=objective,
                actor=get_user_model().objects.get(username=author),
                rag=rag,
                summary=summary,
            )
            StatusUpdate.objects.filter(pk=update.pk).update(
                created_at=timezone.now() - dt.timedelta(days=days_ago)
            )

    def _build(self) -> tuple[dict[str, Team], dict[str, Node]]:
        users = self._people()
        teams = self._teams(users)
        policies = self._policies(users, teams)
        nodes = self._nodes(users, teams, policies)
        for source, target, criticality, group, minimum in story.EDGES:
            edge_ensure(
                source=nodes[source],
                target=nodes[target],
                criticality=criticality,
                redundancy_group=group,
                min_operational=minimum,
                actor=None,
                actor_label=ACTOR,
            )
        self._objectives(users, teams, policies, nodes)
        self._connectors(nodes)
        return teams, nodes

    def _people(self) -> dict[str, Any]:
        User = get_user_model()
        users: dict[str, Any] = {}
        for username, role, first, last in story.DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@demo.cataligent.local"
            user.set_password("demo")
            user.is_staff = role == "admin"
            user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        leads = {lead for _slug, _name, lead, _members in story.TEAMS}
        people = {m for *_rest, members in story.TEAMS for m in members} | leads
        for username in sorted(people - set(users)):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": username.title(),
                    "email": f"{username}@demo.cataligent.local",
                },
            )
            if created:
                user.set_unusable_password()
                user.save()
            users[username] = user
        team_lead = Group.objects.get(name="team_lead")
        for username in leads:
            users[username].groups.add(team_lead)
        return users

    def _teams(self, users: dict[str, Any]) -> dict[str, Team]:
        teams = {}
        for slug, name, lead, members in story.TEAMS:
            team = Team.objects.filter(slug=slug).first() or Team(slug=slug)
            changes = {
                "name": name,
                "lead": users[lead],
                "assignment_groups": story.TEAM_GROUPS.get(slug, []),
            }
            if team.pk is None or any(getattr(team, k) != v for k, v in changes.items()):
                team_save(
                    team=team,
                    changes=changes,
                    members=[users[m] for m in members],
                    actor=None,
                    actor_label=ACTOR,
                )
            teams[slug] = team
        return teams

    def _policies(
        self, users: dict[str, Any], teams: dict[str, Team]
    ) -> dict[str, EscalationPolicy]:
        policies = {}
        for name, (team_slug, levels) in story.POLICIES.items():
            policy = EscalationPolicy.objects.filter(name=name).first()
            if policy is None:
                wanted = []
                for minutes, kind, target in levels:
                    level: dict[str, Any] = {"after_minutes": minutes}
                    if kind == "user":
                        level["notify_user"] = users[target]
                    elif kind == "team":
                        level["notify_team"] = teams[target]
                    else:
                        level["notify_role"] = target
                    wanted.append(level)
                policy = escalation_policy_save(
                    policy=EscalationPolicy(
                        name=name, team=teams[team_slug] if team_slug else None
                    ),
                    levels=wanted,
                    actor=None,
                    actor_label=ACTOR,
                )
            policies[name] = policy
        for team in teams.values():
            if team.default_escalation_policy_id is None:
                default = EscalationLevel.objects.filter(policy__team=team).first()
                if default is not None:
                    team_save(
                        team=team,
                        changes={"default_escalation_policy": default.policy},
                        actor=None,
                        actor_label=ACTOR,
                    )
        return policies

    def _nodes(
        self,
        users: dict[str, Any],
        teams: dict[str, Team],
        policies: dict[str, EscalationPolicy],
    ) -> dict[str, Node]:
        nodes = {}
        for slug, (name, kind, team, owner, policy, description) in story.NODES.items():
            state, reason = story.OVERRIDES.get(slug, ("", ""))
            node, _created = node_upsert(
                slug=slug,
                values={
                    "name": name,
                    "kind": kind,
                    "description": description,
                    "team": teams[team] if team else None,
                    "owner": users[owner] if owner else None,
                    "escalation_policy": policies[policy] if policy else None,
                    "manual_state": state,
                    "manual_reason": reason,
                },
                actor=None,
                actor_label=ACTOR,
            )
            nodes[slug] = node
        return nodes

    def _objectives(
        self,
        users: dict[str, Any],
        teams: dict[str, Team],
        policies: dict[str, EscalationPolicy],
        nodes: dict[str, Node],
    ) -> None:
        period, _ = Period.objects.get_or_create(
            name="2026-Q4", defaults={"start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)}
        )
        for key, title, team, owner, value, declared, policy, requires, text in story.OBJECTIVES:
            values = {
                "title": title,
                "description": text,
                "team": teams[team],
                "owner": users[owner],
                "value_at_stake": Decimal(value),
                "declared_status": declared,
                "escalation_policy": policies[policy],
                "period": period,
                "target_date": period.end,
            }
            specs = [(nodes[slug], criticality) for slug, criticality in requires]
            objective = Objective.objects.filter(key=key).first()
            if objective is None:
                objective = objective_create(
                    key=key, requires=specs, actor=None, actor_label=ACTOR, **values
                )
            else:
                changes = {k: v for k, v in values.items() if getattr(objective, k) != v}
                if changes:
                    objective_update(
                        objective=objective, changes=changes, actor=None, actor_label=ACTOR
                    )
                objective_set_requirements(
                    objective=objective, requires=specs, actor=None, actor_label=ACTOR
                )
            for title_kr, start, target, current, unit in story.KEY_RESULTS.get(key, []):
                KeyResult.objects.update_or_create(
                    objective=objective,
                    title=title_kr,
                    defaults={
                        "start_value": Decimal(str(start)),
                        "target_value": Decimal(str(target)),
                        "current_value": Decimal(str(current)),
                        "unit": unit,
                    },
                )

    def _connectors(self, nodes: dict[str, Node]) -> None:
        base_url = os.environ.get("SIMULATOR_URL", "http://127.0.0.1:8765")
        for slug, (name, kind, username, secret, query, options) in story.CONNECTORS.items():
            connector = Connector.objects.filter(slug=slug).first()
            if connector is None:
                connector_save(
                    connector=Connector(slug=slug),
                    changes={
                        "name": name,
                        "kind": kind,
                        "auth_type": story.CONNECTOR_AUTH.get(slug, "basic"),
                        "base_url": base_url,
                        "username": username,
                        "query": query,
                        "poll_interval": 30,
                        "page_size": 200,
                        "options": options,
                    },
                    secret=secret,
                    webhook_secret=f"demo-{slug}-webhook",
                    actor=None,
                    actor_label=ACTOR,
                )
        for field, pattern, slug in story.LINK_RULES:
            LinkRule.objects.get_or_create(field=field, pattern=pattern, node=nodes[slug])
