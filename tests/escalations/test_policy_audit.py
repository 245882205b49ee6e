"""Escalation policies and teams are audited like every other governance object (issue 10):
through `audited_update`, with the actor, whether changed in the API or in the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cataligent.models import AuditEntry
from dependencies.models import EscalationPolicy
from tests.factories import EscalationLevelFactory, EscalationPolicyFactory

pytestmark = pytest.mark.django_db


def _entries(obj: Any) -> dict[str, tuple[Any, Any]]:
    return {
        e.field: (e.old_value, e.new_value)
        for e in AuditEntry.objects.filter(object_id=str(obj.pk), action="update")
        if e.content_type.model == obj._meta.model_name
    }


def test_the_api_records_a_policy_moved_to_another_team(people: Any, client_as: Any) -> None:
    policy = EscalationPolicyFactory(name="Ledger", team=people["team_a"])
    EscalationLevelFactory(policy=policy)
    response = client_as("admin").patch(
        f"/api/v1/escalation-policies/{policy.pk}/",
        {"team": "team-b", "name": "Ledger on-call"},
        format="json",
    )
    assert response.status_code == 200, response.content
    entries = _entries(policy)
    assert entries["team"] == ("team-a", "team-b")
    assert entries["name"] == ("Ledger", "Ledger on-call")
    assert "levels" not in entries  # unchanged levels write no entry
    assert AuditEntry.objects.filter(field="team").get().actor == people["admin"]


def test_the_policy_page_records_a_rename(people: Any) -> None:
    policy = EscalationPolicyFactory(name="Ledger", team=people["team_a"])
    EscalationLevelFactory(policy=policy, after_minutes=30, notify_role="leadership")
    client = Client()
    client.force_login(people["lead_a"])
    response = client.post(
        f"/escalation-policies/{policy.pk}/",
        {
            "name": "Ledger on-call",
            "team": people["team_a"].pk,
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            "levels-0-after_minutes": "30",
            "levels-0-notify": "role",
            "levels-0-role": "leadership",
        },
    )
    assert response.status_code == 302
    assert EscalationPolicy.objects.get(pk=policy.pk).name == "Ledger on-call"
    assert _entries(policy)["name"] == ("Ledger", "Ledger on-call")


def test_a_team_lead_change_through_the_api_is_audited(people: Any, client_as: Any) -> None:
    response = client_as("admin").patch("/api/v1/teams/team-a/", {"lead": "lead_b"}, format="json")
    assert response.status_code == 200, response.content
    assert _entries(people["team_a"])["lead"] == ("lead_a", "lead_b")
