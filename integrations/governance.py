"""Permission rules of this app's models (see cataligent.permissions).

Connectors are for admins only, to read as well as to change: their
configuration holds credentials. Tickets are a read-only mirror; links and
rules belong to the team that owns their node or objective.
"""

from cataligent.permissions import ADMIN_ONLY_VIEW, Governance, govern
from integrations.models import Connector, LinkRule, QuarantinedRecord, SyncRun, TicketLink


def _target_team(obj) -> int | None:  # type: ignore[no-untyped-def]
    target = obj.node or obj.objective
    return target.team_id if target is not None else None


def _target_team_new(data) -> int | None:  # type: ignore[no-untyped-def]
    target = data.get("node") or data.get("objective")
    return target.team_id if target is not None else None


govern(Connector, ADMIN_ONLY_VIEW)
govern(SyncRun, ADMIN_ONLY_VIEW)
govern(QuarantinedRecord, ADMIN_ONLY_VIEW)
govern(LinkRule, Governance(team_of=_target_team, team_of_new=_target_team_new))
govern(TicketLink, Governance(team_of=_target_team, team_of_new=_target_team_new))
