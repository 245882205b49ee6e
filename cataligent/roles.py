"""The three roles of DESIGN §2, as Django groups with exactly these names.

A signed-in user in none of them is a *member*: read-only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    LEADERSHIP = "leadership"
    TEAM_LEAD = "team_lead"
    ADMIN = "admin"


def user_roles(user: Any) -> frozenset[Role]:
    """The roles of `user`, read once per request and cached on the user object."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_cataligent_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._cataligent_roles = cached
    return cached


def led_team_ids(user: Any) -> frozenset[int]:
    """Ids of the teams `user` leads, if they hold the team-lead role (cached per request)."""
    if Role.TEAM_LEAD not in user_roles(user):
        return frozenset()
    cached = getattr(user, "_cataligent_led_teams", None)
    if cached is None:
        from cataligent.models import Team

        cached = frozenset(Team.objects.filter(lead=user).values_list("id", flat=True))
        user._cataligent_led_teams = cached
    return cached
