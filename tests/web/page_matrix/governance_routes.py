"""The page permission matrix: nodes, objectives, escalations, ownership gaps, teams, the orphan
queue and the escalation policies: everyone reads; the writes follow team ownership."""

from __future__ import annotations

from cataligent.models import Team
from dependencies.models import Edge, Escalation, EscalationPolicy
from integrations.models import TicketLink
from objectives.models import StatusUpdate
from tests.web.page_matrix.world import (
    POST_ONLY,
    Route,
    Write,
    edge_a,
    everyone,
    gap_node_row,
    levels_form,
    no_kwargs,
    node_a_row,
    only,
    orphan_ticket,
    policy_a_row,
    shared_policy_row,
)

GOVERNANCE_ROUTES: dict[str, Route] = {
    # Lists and details: every signed-in user reads.
    "node-list": Route(no_kwargs, everyone(), no_writes="read-only"),
    "node-detail": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    "map-node-tickets": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    # A node's owner, escalation policy and dependencies: its team's lead and admins.
    "node-governance": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "set the owner of team A's node": Write(
                data=lambda w: {"owner": "lead_b", "escalation_policy": w.policy_a.pk},
                allowed={"lead_a", "admin"},
                snapshot=node_a_row,
            ),
        },
    ),
    "node-dependency-add": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "team A's node depends on team B's": Write(
                data=lambda w: {
                    "target": w.node_b.slug,
                    "criticality": "hard",
                    "min_operational": "1",
                },
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(Edge.objects.values_list("source_id", "target_id")),
            ),
            "team B's node depends on team A's": Write(
                kwargs=lambda w: {"slug": w.node_b.slug},
                data=lambda w: {
                    "target": w.node_a.slug,
                    "criticality": "soft",
                    "min_operational": "1",
                },
                allowed={"lead_b", "admin"},
                snapshot=lambda w: list(Edge.objects.values_list("source_id", "target_id")),
            ),
        },
    ),
    "node-dependency-remove": Route(
        lambda w: {"slug": w.node_a.slug, "pk": edge_a(w).pk},
        POST_ONLY,
        writes={
            "remove what team A's node depends on": Write(
                data=lambda w: {},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: Edge.objects.filter(source=w.node_a).count(),
            ),
        },
    ),
    "objective-list": Route(no_kwargs, everyone(), no_writes="read-only"),
    "objective-detail": Route(
        lambda w: {"key": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    "objective-post-update": Route(
        lambda w: {"key": w.objective_a.key},
        POST_ONLY,
        writes={
            "a status update on team A's objective": Write(
                data=lambda w: {"rag": "amber", "summary": "vendor late"},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: StatusUpdate.objects.count(),
            ),
        },
    ),
    "escalation-inbox": Route(no_kwargs, everyone(), no_writes="read-only"),
    "escalation-acknowledge": Route(
        lambda w: {"pk": w.escalation.pk},
        POST_ONLY,
        writes={
            "acknowledge (sent to team A's lead)": Write(
                data=lambda w: {"note": "on it"},
                allowed={"lead_a", "leadership", "admin"},
                snapshot=lambda w: Escalation.objects.filter(pk=w.escalation.pk).values_list(
                    "acknowledged_at", "note"
                )[0],
                htmx=True,
            ),
        },
    ),
    "ownership-gaps": Route(no_kwargs, everyone(), no_writes="read-only"),
    "ownership-gaps-assign": Route(
        no_kwargs,
        POST_ONLY,
        writes={
            "claim a gap for team A": Write(
                data=lambda w: {"items": f"node:{w.gap.pk}", "team": "team-a"},
                allowed={"lead_a", "leadership", "admin"},
                snapshot=gap_node_row,
                htmx=True,
            ),
            "claim a gap and set its policy at once": Write(
                data=lambda w: {
                    "items": f"node:{w.gap.pk}",
                    "team": "team-a",
                    "escalation_policy": w.policy_a.name,
                },
                allowed={"lead_a", "admin"},  # leadership assigns the team, nothing else
                snapshot=gap_node_row,
                htmx=True,
            ),
            "give team A's node to team B": Write(
                data=lambda w: {"items": f"node:{w.node_a.pk}", "team": "team-b"},
                allowed={"leadership", "admin"},
                snapshot=node_a_row,
                htmx=True,
            ),
            "set the owner of team A's node": Write(
                data=lambda w: {"items": f"node:{w.node_a.pk}", "owner": "lead_b"},
                allowed={"lead_a", "admin"},
                snapshot=node_a_row,
                htmx=True,
            ),
        },
    ),
    # Teams: everyone reads; a team's assignment groups are its lead's and admins'.
    "team-list": Route(no_kwargs, everyone(), no_writes="read-only"),
    "team-detail": Route(lambda w: {"slug": "team-a"}, everyone(), no_writes="read-only"),
    "team-assignment-groups": Route(
        lambda w: {"slug": "team-a"},
        POST_ONLY,
        writes={
            "team A's groups": Write(
                data=lambda w: {"assignment_groups": "Ledger Ops\nCore Banking"},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(
                    Team.objects.filter(slug="team-a").values_list("assignment_groups")
                ),
            ),
        },
    ),
    # The orphan queue: everyone reads it; accepting a suggested link is making a link by
    # hand, allowed to the lead of the target's team and to admins.
    "reports:digest": Route(no_kwargs, everyone(), no_writes="read-only"),
    "reports:orphans": Route(no_kwargs, everyone(), no_writes="read-only; accepts post elsewhere"),
    "reports:orphans-accept": Route(
        no_kwargs,
        POST_ONLY,
        writes={
            "link an orphan to team A's node": Write(
                data=lambda w: {"ticket": orphan_ticket(w).pk, "node": w.node_a.slug},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(TicketLink.objects.values_list("ticket_id", "node_id")),
                htmx=True,
            ),
            "link an orphan to team B's node": Write(
                data=lambda w: {"ticket": orphan_ticket(w).pk, "node": w.node_b.slug},
                allowed={"lead_b", "admin"},
                snapshot=lambda w: list(TicketLink.objects.values_list("ticket_id", "node_id")),
            ),
            "link an orphan to team A's objective": Write(
                data=lambda w: {"ticket": orphan_ticket(w).pk, "objective": w.objective_a.key},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(
                    TicketLink.objects.values_list("ticket_id", "objective_id")
                ),
            ),
        },
    ),
    "escalation-policies": Route(no_kwargs, everyone(), no_writes="read-only"),
    "escalation-level-row": Route(no_kwargs, everyone(), no_writes="an empty form row"),
    "escalation-policy-new": Route(
        no_kwargs,
        only("lead_a", "lead_b", "admin"),
        writes={
            "a policy for team A": Write(
                data=lambda w: {"name": "New", "team": w.people["team_a"].pk, **levels_form()},
                allowed={"lead_a", "admin"},
                form_error={"lead_b"},
                snapshot=lambda w: list(EscalationPolicy.objects.values_list("name", flat=True)),
            ),
        },
    ),
    "escalation-policy-edit": Route(
        lambda w: {"pk": w.policy_a.pk},
        only("lead_a", "admin"),
        writes={
            "rename and rewrite the levels": Write(
                data=lambda w: {"name": "Renamed", "team": w.people["team_a"].pk, **levels_form()},
                allowed={"lead_a", "admin"},
                snapshot=policy_a_row,
            ),
            "give it to team B": Write(
                data=lambda w: (
                    {"name": "Team A policy", "team": w.people["team_b"].pk} | levels_form(30)
                ),
                allowed={"admin"},
                form_error={"lead_a"},
                snapshot=policy_a_row,
            ),
            "take its team away": Write(
                data=lambda w: {"name": "Team A policy", "team": ""} | levels_form(30),
                allowed={"admin"},
                snapshot=policy_a_row,
            ),
            "claim the shared policy team B uses and rewrite its levels": Write(
                kwargs=lambda w: {"pk": w.shared_policy.pk},
                data=lambda w: {"name": "Mine", "team": w.people["team_a"].pk, **levels_form(1)},
                allowed={"admin"},
                snapshot=shared_policy_row,
            ),
        },
    ),
}
