"""Permission rules of this app's models (see cataligent.permissions)."""

from cataligent.permissions import govern, owned_through, readable_by
from cataligent.roles import Role
from reports.models import CostLine

# A node's run cost is written by admins and by the lead of the team that owns the node; what
# things cost is read by leadership, team leads and admins (not by every member).
govern(CostLine, readable_by(owned_through("node"), Role.LEADERSHIP, Role.TEAM_LEAD))
