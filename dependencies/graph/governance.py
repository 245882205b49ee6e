"""Permission rules of this app's models (see cataligent.permissions)."""

from __future__ import annotations

from dataclasses import replace

from cataligent.models import Team
from cataligent.permissions import govern, owned_by_team_field, owned_through
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node


def _policy_claim_refusal(policy: EscalationPolicy, team_id: int) -> str | None:
    """A shared policy that items of other teams (or of no team) escalate through, or that
    is another team's default, cannot be given to one team: its new lead could rewrite how
    everybody else's blockers escalate."""
    # Objectives are above the graph: reached through the policy's reverse relation.
    others = (
        Node.objects.filter(escalation_policy=policy).exclude(team_id=team_id).count()
        + policy.objectives.exclude(team_id=team_id).count()
        + Team.objects.filter(default_escalation_policy=policy).exclude(pk=team_id).count()
    )
    if others:
        return (
            f"The policy “{policy.name}” is used by {others} item(s) or default(s) of other "
            "teams; only an admin may give it to one team."
        )
    return None


govern(Node, owned_by_team_field("team"))
govern(
    EscalationPolicy,
    replace(owned_by_team_field("team"), claim_refusal=_policy_claim_refusal),
)
govern(EscalationLevel, owned_through("policy"))
# An edge belongs to the dependent: the team that owns `source` decides what it rests on,
# and may make it rest on any node (`target`), but not start from another team's node.
govern(Edge, owned_through("source"))
