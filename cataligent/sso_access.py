"""Roles and team memberships from the identity provider's groups, at every sign-in.

The provider decides exactly what OIDC_GROUP_MAP names: a role or a team that appears
in the map is given to the people in its groups and taken from everyone else when they
next sign in (a group removed at the provider is a role removed here). Roles and teams
the map never names stay with the admins, in the admin site. Team leads are set on the
team by an admin (a team has one lead); the map gives the `team_lead` role and
memberships. Every change is audited, by the sign-in that made it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from cataligent.audit import audit_changes
from cataligent.models import Team
from cataligent.sso_groups import grants_for, managed_by_map

log = logging.getLogger(__name__)


def claim_groups(claims: dict[str, Any]) -> list[str]:
    """The groups in OIDC_ROLES_CLAIM: a list of names, or one name; a missing claim is
    no groups (the person is in none of them, so mapped roles are taken away)."""
    value = claims.get(settings.OIDC_ROLES_CLAIM)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int)]
    return []


@transaction.atomic
def sso_access_apply(*, user: Any, groups: Iterable[str], actor_label: str) -> None:
    """Give `user` the mapped roles and teams of `groups`; take away the mapped others."""
    group_map = settings.OIDC_GROUP_MAP
    managed = managed_by_map(group_map)
    granted = grants_for(group_map, list(groups))

    roles_before = sorted(user.groups.values_list("name", flat=True))
    kept = [name for name in roles_before if name not in managed.roles]
    roles_after = sorted({*kept, *granted.roles})
    if roles_after != roles_before:
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in roles_after])
        audit_changes(
            user, {"roles": (roles_before, roles_after)}, actor=None, actor_label=actor_label
        )
        user.__dict__.pop("_cataligent_roles", None)

    username = user.get_username()
    teams = Team.objects.filter(slug__in=managed.team_slugs).prefetch_related("members")
    found = set()
    for team in teams:
        found.add(team.slug)
        members_before = {member.get_username() for member in team.members.all()}
        if team.slug in granted.team_slugs and username not in members_before:
            team.members.add(user)
            members_after = members_before | {username}
        elif team.slug not in granted.team_slugs and username in members_before:
            team.members.remove(user)
            members_after = members_before - {username}
        else:
            continue
        audit_changes(
            team,
            {"members": (sorted(members_before), sorted(members_after))},
            actor=None,
            actor_label=actor_label,
        )
    for slug in sorted(managed.team_slugs - found):
        log.warning("OIDC_GROUP_MAP names the team %r, which does not exist", slug)
