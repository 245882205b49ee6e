"""Permission rules of this app's models (see cataligent.permissions)."""

from cataligent.permissions import govern, owned_by_team_field, owned_through
from objectives.models import KeyResult, Objective, Requirement, StatusUpdate

govern(Objective, owned_by_team_field("team"))
govern(Requirement, owned_through("objective"))
govern(KeyResult, owned_through("objective"))
govern(StatusUpdate, owned_through("objective"))
