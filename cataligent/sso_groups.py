"""OIDC_GROUP_MAP: which IdP groups give which roles and team memberships.

Read at start-up from settings (so a typo stops the process), hence no Django models
here. The value is a JSON object from an IdP group's name to what it grants:

    {"cataligent-admins": ["admin"],
     "lending-leads": ["team_lead", "team:digital-lending"],
     "lending": "team:digital-lending"}

A grant is a role (`leadership`, `team_lead`, `admin`) or `team:<slug>`, a membership.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

ROLE_NAMES = frozenset({"leadership", "team_lead", "admin"})
TEAM_PREFIX = "team:"


@dataclass(frozen=True)
class Grants:
    roles: frozenset[str] = field(default_factory=frozenset)
    team_slugs: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: Grants) -> Grants:
        return Grants(self.roles | other.roles, self.team_slugs | other.team_slugs)


def parse_group_map(raw: str, *, name: str) -> dict[str, Grants]:
    """`{group: Grants}` from the setting's JSON; ImproperlyConfigured naming what is wrong."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f'{name} must be a JSON object: {{"<IdP group>": [...]}}.')
    groups: dict[str, Grants] = {}
    for group, targets in value.items():
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ImproperlyConfigured(f"{name}: {group!r} must map to a list of strings.")
        roles, teams = set(), set()
        for target in targets:
            if target in ROLE_NAMES:
                roles.add(target)
            elif target.startswith(TEAM_PREFIX) and target[len(TEAM_PREFIX) :].strip():
                teams.add(target[len(TEAM_PREFIX) :].strip())
            else:
                raise ImproperlyConfigured(
                    f"{name}: {group!r} grants {target!r}, which is neither a role "
                    f"({', '.join(sorted(ROLE_NAMES))}) nor team:<slug>."
                )
        groups[group] = Grants(frozenset(roles), frozenset(teams))
    return groups


def managed_by_map(group_map: dict[str, Grants]) -> Grants:
    """Every role and team the map names: the identity provider decides these alone."""
    managed = Grants()
    for grants in group_map.values():
        managed = managed | grants
    return managed


def grants_for(group_map: dict[str, Grants], groups: list[str]) -> Grants:
    granted = Grants()
    for group in groups:
        granted = granted | group_map.get(group, Grants())
    return granted
