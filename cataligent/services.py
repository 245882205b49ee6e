"""Writes to teams; the lead, the default escalation policy and the assignment groups are
audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from cataligent.audit import audit_changes, audit_created, audit_deleted, audited_update
from cataligent.models import Team, clean_assignment_groups

TEAM_AUDITED_FIELDS = ("lead", "default_escalation_policy", "assignment_groups")
# What a field holds before a team exists: no entry for a new team without groups.
_EMPTY: dict[str, Any] = {"assignment_groups": []}


@transaction.atomic
def team_save(
    *,
    team: Team,
    changes: Mapping[str, Any],
    actor: Any,
    actor_label: str = "",
    members: Iterable[Any] | None = None,
) -> Team:
    creating = team.pk is None
    changes = dict(changes)
    if "assignment_groups" in changes:
        changes["assignment_groups"] = clean_assignment_groups(
            changes["assignment_groups"] or [], team=team
        )
    if creating:
        # A new team's fields are recorded from nothing, like every created object's.
        for field, value in changes.items():
            setattr(team, field, value)
        team.full_clean()
        team.save()
        audit_created(team, actor=actor, actor_label=actor_label)
        audit_changes(
            team,
            {f: (_EMPTY.get(f), getattr(team, f)) for f in TEAM_AUDITED_FIELDS},
            actor=actor,
            actor_label=actor_label,
        )
    else:
        audited_update(
            team, changes, fields=TEAM_AUDITED_FIELDS, actor=actor, actor_label=actor_label
        )
    if members is not None:
        old_members = [] if creating else sorted(u.get_username() for u in team.members.all())
        team.members.set(list(members))
        new_members = sorted(u.get_username() for u in team.members.all())
        audit_changes(
            team, {"members": (old_members, new_members)}, actor=actor, actor_label=actor_label
        )
    return team


@transaction.atomic
def team_delete(*, team: Team, actor: Any, actor_label: str = "") -> None:
    audit_deleted(team, actor=actor, actor_label=actor_label)
    team.delete()
