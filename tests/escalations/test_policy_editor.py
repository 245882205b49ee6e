"""The escalation policy editor: levels in order, permissions, a team's default."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dependencies.models import EscalationPolicy
from tests.factories import EscalationPolicyFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _levels(*rows: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"levels-TOTAL_FORMS": str(len(rows)), "levels-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"levels-{i}-{key}"] = value
    return data


def test_team_lead_creates_a_policy_and_makes_it_the_default(people: Any) -> None:
    client = _client(people["lead_a"])
    assert client.get("/escalation-policies/new/").status_code == 200
    response = client.post(
        "/escalation-policies/new/",
        {
            "name": "Team A on-call",
            "team": people["team_a"].pk,
            "default_for_team": "1",
            **_levels(
                {"after_minutes": "15", "notify": "user", "user": "lead_a"},
                {"after_minutes": "120", "notify": "role", "role": "leadership"},
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = EscalationPolicy.objects.get(name="Team A on-call")
    assert [(lv.position, lv.after_minutes, lv.target_display) for lv in policy.levels.all()] == [
        (1, 15, "user lead_a"),
        (2, 120, "role leadership"),
    ]
    people["team_a"].refresh_from_db()
    assert people["team_a"].default_escalation_policy == policy
    assert "Team A on-call" in client.get("/escalation-policies/").content.decode()


def test_levels_out_of_order_or_without_a_target_are_refused(people: Any) -> None:
    client = _client(people["admin"])
    out_of_order = client.post(
        "/escalation-policies/new/",
        {
            "name": "P",
            **_levels(
                {"after_minutes": "60", "notify": "role", "role": "leadership"},
                {"after_minutes": "10", "notify": "role", "role": "admin"},
            ),
        },
    )
    assert "Order the levels" in out_of_order.content.decode()
    no_target = client.post(
        "/escalation-policies/new/",
        {"name": "Q", **_levels({"after_minutes": "5", "notify": "user"})},
    )
    assert "Choose the user" in no_target.content.decode()
    assert not EscalationPolicy.objects.exists()


def test_who_may_edit(people: Any) -> None:
    policy = EscalationPolicyFactory(name="A's", team=people["team_a"])
    assert _client(people["lead_b"]).get(f"/escalation-policies/{policy.pk}/").status_code == 403
    assert _client(people["member"]).get("/escalation-policies/new/").status_code == 403
    assert _client(people["lead_a"]).get(f"/escalation-policies/{policy.pk}/").status_code == 200
    list_page = _client(people["member"]).get("/escalation-policies/").content.decode()
    assert "A&#x27;s" in list_page and f"/escalation-policies/{policy.pk}/" not in list_page


def test_add_level_row(people: Any) -> None:
    row = _client(people["admin"]).get("/escalation-policies/level-row/?index=3").content.decode()
    assert 'name="levels-3-after_minutes"' in row


def test_add_level_row_with_a_bad_index_is_a_400(people: Any) -> None:
    response = _client(people["admin"]).get("/escalation-policies/level-row/?index=x")
    assert response.status_code == 400
