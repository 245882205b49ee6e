"""Permission rules of this app's models (see cataligent.permissions)."""

from cataligent.permissions import (
    LEADERSHIP_AND_ADMIN,
    Governance,
    govern,
    owned_by_team_field,
    owned_through,
)
from objectives.models import KeyResult, Objective, Period, Requirement, StatusUpdate

govern(Period, LEADERSHIP_AND_ADMIN)
govern(Objective, owned_by_team_field("team"))
govern(Requirement, owned_through("objective"))
govern(KeyResult, owned_through("objective"))


def _owner_of_objective(user, data):  # type: ignore[no-untyped-def]
    objective = data.get("objective")
    return objective is not None and objective.owner_id == user.pk


# Status updates: the objective's owner posts them (as do the team's lead and admins).
_through_objective = owned_through("objective")
govern(
    StatusUpdate,
    Governance(
        team_of=_through_objective.team_of,
        team_of_new=_through_objective.team_of_new,
        also_created_by=_owner_of_objective,
    ),
)
