"""A change is judged on the object before and after it (issue 13).

The policy used to check only the values an object holds now, so a lead of team A
could PATCH an edge of theirs to start from team B's node, aim a link rule at team B's
node (whose tickets then turn it red), give a node away, or claim a shared escalation
policy that other teams' items use and rewrite its levels in the same request.

The first part runs each hole through the API and checks the row did not change; the
second asks the policy directly for every governed model, and fails when a model is
governed without a case here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from cataligent.permissions import _REGISTRY, Action, check
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node
from integrations.models import LinkRule, TicketLink
from objectives.models import KeyResult, Objective, Requirement, StatusUpdate
from reports.models import CostLine
from tests.factories import (
    EdgeFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
    TicketFactory,
)

People = dict[str, Any]
LEVELS = [{"after_minutes": 5, "notify_user": "lead_a"}]


@dataclass
class Case:
    make: Callable[[People], Any]  # an object lead_a may change today
    url: Callable[[Any], str]
    payload: Callable[[People], dict[str, Any]]
    role: str
    status: int
    # What must not change when refused (and must when allowed): a snapshot of the row.
    snapshot: Callable[[Any], Any]


def _edge(p: People) -> Edge:
    return EdgeFactory(source=NodeFactory(team=p["team_a"]), target=NodeFactory(team=p["team_a"]))


def _edge_row(edge: Edge) -> Any:
    edge.refresh_from_db()
    return (edge.source_id, edge.target_id)


def _rule(p: People) -> LinkRule:
    return LinkRule.objects.create(field="ci", pattern="db1", node=NodeFactory(team=p["team_a"]))


def _rule_row(rule: LinkRule) -> Any:
    rule.refresh_from_db()
    return (rule.node_id, rule.objective_id, rule.pattern)


def _team_row(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj.team_id


def _policy_row(policy: EscalationPolicy) -> Any:
    policy.refresh_from_db()
    levels = list(policy.levels.values_list("after_minutes", "notify_user_id", "notify_role"))
    return (policy.team_id, levels)


def _shared_policy_used_by_team_b(p: People) -> EscalationPolicy:
    """A policy of no team that team B's nodes escalate through."""
    policy = EscalationPolicyFactory(team=None, name="Company standard")
    EscalationLevelFactory(policy=policy, after_minutes=30, notify_role="leadership")
    NodeFactory.create_batch(3, team=p["team_b"], escalation_policy=policy)
    return policy


def _unused_shared_policy(p: People) -> EscalationPolicy:
    policy = EscalationPolicyFactory(team=None, name="Unused")
    EscalationLevelFactory(policy=policy, after_minutes=30, notify_role="leadership")
    return policy


CASES: dict[str, Case] = {
    # Edges are owned through their source: a lead may not make one start from another
    # team's node, but may make theirs depend on any node.
    "edge: move the source to team B's node": Case(
        make=_edge,
        url=lambda e: f"/api/edges/{e.pk}/",
        payload=lambda p: {"source": NodeFactory(team=p["team_b"]).slug},
        role="lead_a",
        status=403,
        snapshot=_edge_row,
    ),
    "edge: point the target at team B's node": Case(
        make=_edge,
        url=lambda e: f"/api/edges/{e.pk}/",
        payload=lambda p: {"target": NodeFactory(team=p["team_b"]).slug},
        role="lead_a",
        status=200,
        snapshot=_edge_row,
    ),
    "edge: move the source to another of team A's nodes": Case(
        make=_edge,
        url=lambda e: f"/api/edges/{e.pk}/",
        payload=lambda p: {"source": NodeFactory(team=p["team_a"]).slug},
        role="lead_a",
        status=200,
        snapshot=_edge_row,
    ),
    # Link rules: blocking tickets would turn team B's node red.
    "link rule: aim at team B's node": Case(
        make=_rule,
        url=lambda r: f"/api/link-rules/{r.pk}/",
        payload=lambda p: {"node": NodeFactory(team=p["team_b"]).slug},
        role="lead_a",
        status=403,
        snapshot=_rule_row,
    ),
    "link rule: aim at team B's objective": Case(
        make=_rule,
        url=lambda r: f"/api/link-rules/{r.pk}/",
        payload=lambda p: {"node": None, "objective": ObjectiveFactory(team=p["team_b"]).key},
        role="lead_a",
        status=403,
        snapshot=_rule_row,
    ),
    "link rule: aim at an unowned node": Case(
        make=_rule,
        url=lambda r: f"/api/link-rules/{r.pk}/",
        payload=lambda p: {"node": NodeFactory(team=None).slug},
        role="lead_a",
        status=403,
        snapshot=_rule_row,
    ),
    "link rule: aim at team A's objective": Case(
        make=_rule,
        url=lambda r: f"/api/link-rules/{r.pk}/",
        payload=lambda p: {"node": None, "objective": ObjectiveFactory(team=p["team_a"]).key},
        role="lead_a",
        status=200,
        snapshot=_rule_row,
    ),
    # Nodes, objectives and policies: the owning team changes only to a team they lead.
    "node: give to team B": Case(
        make=lambda p: NodeFactory(team=p["team_a"]),
        url=lambda n: f"/api/nodes/{n.slug}/",
        payload=lambda p: {"team": "team-b"},
        role="lead_a",
        status=403,
        snapshot=_team_row,
    ),
    "node: make it an ownership gap": Case(
        make=lambda p: NodeFactory(team=p["team_a"]),
        url=lambda n: f"/api/nodes/{n.slug}/",
        payload=lambda p: {"team": None},
        role="lead_a",
        status=403,
        snapshot=_team_row,
    ),
    "objective: give to team B": Case(
        make=lambda p: ObjectiveFactory(team=p["team_a"]),
        url=lambda o: f"/api/objectives/{o.key}/",
        payload=lambda p: {"team": "team-b"},
        role="lead_a",
        status=403,
        snapshot=_team_row,
    ),
    "policy: give to team B": Case(
        make=lambda p: EscalationPolicyFactory(team=p["team_a"]),
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-b"},
        role="lead_a",
        status=403,
        snapshot=_policy_row,
    ),
    # Claims: the team field and nothing else, and not a policy other teams use.
    "policy: claim a shared policy in use and rewrite its levels": Case(
        make=_shared_policy_used_by_team_b,
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-a", "levels": LEVELS},
        role="lead_a",
        status=403,
        snapshot=_policy_row,
    ),
    "policy: claim a shared policy in use": Case(
        make=_shared_policy_used_by_team_b,
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-a"},
        role="lead_a",
        status=403,
        snapshot=_policy_row,
    ),
    "policy: leadership gives a shared policy in use to one team": Case(
        make=_shared_policy_used_by_team_b,
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-a"},
        role="leadership",
        status=403,
        snapshot=_policy_row,
    ),
    "policy: claim an unused shared policy and rewrite its levels": Case(
        make=_unused_shared_policy,
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-a", "levels": LEVELS},
        role="lead_a",
        status=403,
        snapshot=_policy_row,
    ),
    "policy: claim an unused shared policy": Case(
        make=_unused_shared_policy,
        url=lambda o: f"/api/escalation-policies/{o.pk}/",
        payload=lambda p: {"team": "team-a"},
        role="lead_a",
        status=200,
        snapshot=_policy_row,
    ),
    "node: claim an unowned node and rename it at once": Case(
        make=lambda p: NodeFactory(team=None),
        url=lambda n: f"/api/nodes/{n.slug}/",
        payload=lambda p: {"team": "team-a", "name": "Mine now"},
        role="lead_a",
        status=403,
        snapshot=_team_row,
    ),
    # An objective may require any team's capability, as an edge may target any node.
    "objective: require team B's node": Case(
        make=lambda p: ObjectiveFactory(team=p["team_a"]),
        url=lambda o: f"/api/objectives/{o.key}/",
        payload=lambda p: {
            "requires": [{"node": NodeFactory(team=p["team_b"]).slug, "criticality": "hard"}]
        },
        role="lead_a",
        status=200,
        snapshot=lambda o: list(o.requirements.values_list("node_id", flat=True)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_change_is_judged_on_its_new_values(name: str, client_as: Any, people: People) -> None:
    case = CASES[name]
    obj = case.make(people)
    before = case.snapshot(obj)
    response = client_as(case.role).patch(case.url(obj), case.payload(people), format="json")
    assert response.status_code == case.status, response.content
    if case.status == 403:
        assert response.json()["detail"]
        assert case.snapshot(obj) == before, "a refused change was written"
    else:
        assert case.snapshot(obj) != before, "an allowed change was not written"


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        (
            "links",
            lambda p: {"ticket": TicketFactory().pk, "node": NodeFactory(team=p["team_b"]).slug},
        ),
        (
            "link-rules",
            lambda p: {"field": "ci", "pattern": "db", "node": NodeFactory(team=p["team_b"]).slug},
        ),
        (
            "status-updates",
            lambda p: {
                "objective": ObjectiveFactory(team=p["team_b"]).key,
                "rag": "green",
                "summary": "fine",
            },
        ),
        (
            "edges",
            lambda p: {
                "source": NodeFactory(team=p["team_b"]).slug,
                "target": NodeFactory(team=p["team_a"]).slug,
            },
        ),
    ],
)
def test_lead_cannot_create_onto_another_teams_item(
    resource: str, payload: Callable[[People], dict[str, Any]], client_as: Any, people: People
) -> None:
    model = {
        "links": TicketLink,
        "link-rules": LinkRule,
        "status-updates": StatusUpdate,
        "edges": Edge,
    }[resource]
    response = client_as("lead_a").post(f"/api/{resource}/", payload(people), format="json")
    assert response.status_code == 403, response.content
    assert not model.objects.exists()


# The policy itself, for every governed model: moving an object of team A to team B.


def _move_cases() -> dict[type, tuple[Callable[[People], Any], Callable[[People], dict]]]:
    def objective_b(p: People) -> Objective:
        return ObjectiveFactory(team=p["team_b"])

    return {
        Node: (lambda p: NodeFactory(team=p["team_a"]), lambda p: {"team": p["team_b"]}),
        Objective: (lambda p: ObjectiveFactory(team=p["team_a"]), lambda p: {"team": p["team_b"]}),
        EscalationPolicy: (
            lambda p: EscalationPolicyFactory(team=p["team_a"]),
            lambda p: {"team": p["team_b"]},
        ),
        EscalationLevel: (
            lambda p: EscalationLevelFactory(policy=EscalationPolicyFactory(team=p["team_a"])),
            lambda p: {"policy": EscalationPolicyFactory(team=p["team_b"])},
        ),
        Edge: (_edge, lambda p: {"source": NodeFactory(team=p["team_b"])}),
        Requirement: (
            lambda p: Requirement.objects.create(
                objective=ObjectiveFactory(team=p["team_a"]), node=NodeFactory()
            ),
            lambda p: {"objective": objective_b(p)},
        ),
        KeyResult: (
            lambda p: KeyResult.objects.create(
                objective=ObjectiveFactory(team=p["team_a"]), title="Loans", target_value=10
            ),
            lambda p: {"objective": objective_b(p)},
        ),
        StatusUpdate: (
            lambda p: StatusUpdate.objects.create(
                objective=ObjectiveFactory(team=p["team_a"]), rag="green", summary="ok"
            ),
            lambda p: {"objective": objective_b(p)},
        ),
        LinkRule: (_rule, lambda p: {"node": NodeFactory(team=p["team_b"])}),
        TicketLink: (
            lambda p: TicketLink.objects.create(
                ticket=TicketFactory(), node=NodeFactory(team=p["team_a"]), via="manual"
            ),
            lambda p: {"node": NodeFactory(team=p["team_b"])},
        ),
        CostLine: (
            lambda p: CostLine.objects.create(
                node=NodeFactory(team=p["team_a"]),
                month=dt.date(2026, 3, 1),
                amount=10,
                currency="USD",
            ),
            lambda p: {"node": NodeFactory(team=p["team_b"])},
        ),
    }


MOVES = _move_cases()


def test_every_team_owned_model_has_a_move_case() -> None:
    owned = {model for model, g in _REGISTRY.items() if not g.admin_only_write}
    missing = owned - set(MOVES)
    assert not missing, f"add a move case for {sorted(m.__name__ for m in missing)}"


@pytest.mark.parametrize("model", sorted(MOVES, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_the_policy_refuses_moving_an_item_to_another_team(model: type, people: People) -> None:
    make, move = MOVES[model]
    obj = make(people)
    check(people["lead_a"], Action.CHANGE, model=model, obj=obj, data={})  # theirs today
    with pytest.raises(PermissionDenied, match="team you do not lead"):
        check(people["lead_a"], Action.CHANGE, model=model, obj=obj, data=move(people))
    check(people["admin"], Action.CHANGE, model=model, obj=obj, data=move(people))
