"""Small pieces the apps' models share."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


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


class Governed:
    """What nodes and objectives share: an owner, an owning team and an escalation path."""

    owner_id: int | None
    team_id: int | None
    escalation_policy_id: int | None

    @property
    def ownership_gaps(self) -> list[str]:
        """What is missing for this item to have a clear owner and escalation path."""
        gaps = []
        if self.owner_id is None:
            gaps.append("owner")
        if self.team_id is None:
            gaps.append("team")
        if self.escalation_policy_id is None:
            gaps.append("escalation policy")
        return gaps
