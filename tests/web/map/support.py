"""What the leadership page tests share: the roles, a signed-in client, a larger world."""

from __future__ import annotations

from typing import Any

from django.test import Client

from dependencies.models import Edge
from dependencies.recompute.runner import impact_recompute
from tests.factories import NodeFactory, ObjectiveFactory, link_ticket

ROLES = ["member", "lead_a", "lead_b", "leadership", "admin"]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grow(people: dict[str, Any], start: int, count: int) -> None:
    """`count` more blocked chains: objective → capability → blocked service with a ticket."""
    for i in range(start, start + count):
        team = people["team_a"] if i % 2 else people["team_b"]
        service = NodeFactory(
            slug=f"svc-{i}", manual_state="blocked", manual_reason="down", team=team
        )
        capability = NodeFactory(
            slug=f"cap-{i}", kind="capability", team=team, owner=people["lead_a"]
        )
        Edge.objects.create(source=capability, target=service)
        objective = ObjectiveFactory(team=team, owner=people["lead_b"], value_at_stake=10 + i)
        objective.requirements.create(node=capability)
        link_ticket(service, url=f"https://jira.example/browse/LEND-{i}")
    impact_recompute(force=True)
