"""Permission rules of this app's models (see cataligent.permissions)."""

from cataligent.permissions import govern, owned_by_team_field, owned_through
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node

govern(Node, owned_by_team_field("team"))
govern(EscalationPolicy, owned_by_team_field("team"))
govern(EscalationLevel, owned_through("policy"))
# An edge belongs to the dependent: the team that owns `source` decides what it rests on.
govern(Edge, owned_through("source"))
