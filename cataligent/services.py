"""Writes to teams; the lead, the default escalation policy and the assignment groups are
audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cataligent.audit import audit_changes, audit_created, audit_deleted, audited_update
from cataligent.models import Team

TEAM_AUDITED_FIELDS = ("lead", "default_escalation_policy", "assignment_groups")
# What a field holds before a team exists: no entry for a new team without groups.
_EMPTY: dict[str, Any] = {"assignment_groups": []}


def assignment_groups_clean(*, team: Team, groups: Iterable[str]) -> list[str]:
    """The team's assignment-group names as they are stored: trimmed, blank ones dropped,
    each once (the first spelling wins). A group may belong to one team only, since the
    reports decide from it which team resolved a ticket; a name another team holds is
    refused with that team's name."""
    cleaned: dict[str, str] = {}
    for raw in groups:
        if not isinstance(raw, str):
            raise ValidationError({"assignment_groups": "Each group is a name (text)."})
        name = " ".join(raw.split())
        if name:
            cleaned.setdefault(name.casefold(), name)
    if not cleaned:
        return []
    others = Team.objects.exclude(pk=team.pk) if team.pk else Team.objects.all()
    for other in others.exclude(assignment_groups=[]).only("name", "assignment_groups"):
        for held in other.assignment_groups or []:
            if isinstance(held, str) and held.casefold() in cleaned:
                raise ValidationError(
                    {
                        "assignment_groups": (
                            f"“{cleaned[held.casefold()]}” already belongs to the team "
                            f"{other.name}; a group may belong to one team only."
                        )
                    }
                )
    return list(cleaned.values())


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
        changes["assignment_groups"] = assignment_groups_clean(
            team=team, groups=changes["assignment_groups"] or []
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
