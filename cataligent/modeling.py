"""Small pieces the apps' models share."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q


class JSONText(models.TextField):  # type: ignore[type-arg]
    """A JSON value kept as text rather than `jsonb`, for a large value written whole and
    only ever read whole (nothing queries inside it). PostgreSQL parses `jsonb` on every
    write: 40 ms for the 40,000 small arrays of a map's links between 200 teams, against
    under 5 ms as text stored uncompressed."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, separators=(",", ":"))


def exactly_one_of(
    first: str, second: str, *, name: str, message: str = ""
) -> models.CheckConstraint:
    """A row points at `first` or at `second` (a node or an objective), not both, not neither."""
    kwargs = {"violation_error_message": message} if message else {}
    return models.CheckConstraint(
        condition=Q(**{f"{first}__isnull": False, f"{second}__isnull": True})
        | Q(**{f"{first}__isnull": True, f"{second}__isnull": False}),
        name=name,
        **kwargs,
    )


# The one definition of an ownership gap (DESIGN §2): no owner, no owning team, or no
# escalation policy, its own or its team's default. The default escalation to leadership, which
# the engine falls back on, is nobody's choice: an item left to it still shows the gap.
NO_ESCALATION_POLICY = Q(escalation_policy__isnull=True) & Q(
    team__default_escalation_policy__isnull=True
)
OWNERSHIP_GAP = Q(owner__isnull=True) | Q(team__isnull=True) | NO_ESCALATION_POLICY
# `?missing=` on the gap list: what each missing part means as a filter.
MISSING = {
    "owner": Q(owner__isnull=True),
    "team": Q(team__isnull=True),
    "escalation_policy": NO_ESCALATION_POLICY,
}


def effective_policy_id(escalation_policy_id: int | None, team_policy_id: int | None) -> int | None:
    """The policy an item escalates through: its own, else its owning team's default (None:
    the default escalation to leadership)."""
    return escalation_policy_id if escalation_policy_id is not None else team_policy_id


def gaps_of(*, owner_id: int | None, team_id: int | None, policy_id: int | None) -> list[str]:
    """What is missing for an item to have a clear owner and escalation path; `policy_id` is
    the effective one (`effective_policy_id`)."""
    gaps = []
    if owner_id is None:
        gaps.append("owner")
    if team_id is None:
        gaps.append("team")
    if policy_id is None:
        gaps.append("escalation policy")
    return gaps


# The columns `row_gaps` reads, for selectors that read `.values()` rather than models.
GAP_FIELDS = ("owner_id", "team_id", "escalation_policy_id", "team__default_escalation_policy_id")


def row_gaps(row: Any) -> list[str]:
    """`gaps_of` for a `.values(*GAP_FIELDS, ...)` row."""
    return gaps_of(
        owner_id=row["owner_id"],
        team_id=row["team_id"],
        policy_id=effective_policy_id(
            row["escalation_policy_id"], row["team__default_escalation_policy_id"]
        ),
    )


class Governed:
    """The governed-item shape nodes and objectives share: an owner, an owning team, an
    escalation path, and the state computed from the graph."""

    owner_id: int | None
    team_id: int | None
    escalation_policy_id: int | None
    team: Any
    state: str

    @property
    def effective_escalation_policy_id(self) -> int | None:
        team_policy = self.team.default_escalation_policy_id if self.team_id else None
        return effective_policy_id(self.escalation_policy_id, team_policy)

    @property
    def ownership_gaps(self) -> list[str]:
        """What is missing for this item to have a clear owner and escalation path."""
        return gaps_of(
            owner_id=self.owner_id,
            team_id=self.team_id,
            policy_id=self.effective_escalation_policy_id,
        )
