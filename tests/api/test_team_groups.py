"""A team's assignment groups (DESIGN §3 `teams`): writable by whoever may change the team
(admins), cleaned, each group name in one team only, audited, and editable in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cataligent.models import AuditEntry, Team

pytestmark = pytest.mark.django_db


def test_assignment_groups_are_written_cleaned_and_audited(client_as: Any, people: Any) -> None:
    admin = client_as("admin")
    response = admin.patch(
        "/api/teams/team-a/",
        {"assignment_groups": ["  Lending App Support ", "Lending Platform"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignment_groups"] == ["Lending App Support", "Lending Platform"]
    team = Team.objects.get(slug="team-a")
    assert team.assignment_groups == ["Lending App Support", "Lending Platform"]
    entry = AuditEntry.objects.get(object_id=str(team.pk), field="assignment_groups")
    assert "Lending Platform" in str(entry.new_value)
    assert client_as("member").get("/api/v1/teams/team-a/").json()["assignment_groups"] == [
        "Lending App Support",
        "Lending Platform",
    ]
    created = admin.post(
        "/api/teams/",
        {"slug": "payments", "name": "Payments", "assignment_groups": ["Payments Operations"]},
        format="json",
    )
    assert created.status_code == 201, created.json()


@pytest.mark.parametrize(
    ("groups", "needle"),
    [
        (["x" * 201], "longer than 200"),
        ("DBA", "list"),
        (["Core Banking Support"], "Team B"),  # another team's group
    ],
)
def test_bad_assignment_groups_are_refused_naming_the_field(
    client_as: Any, people: Any, groups: Any, needle: str
) -> None:
    Team.objects.filter(slug="team-b").update(assignment_groups=["Core Banking Support"])
    response = client_as("admin").patch(
        "/api/teams/team-a/", {"assignment_groups": groups}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert needle in str(response.json()["assignment_groups"])
    assert Team.objects.get(slug="team-a").assignment_groups == []


def test_only_admins_change_them(client_as: Any, people: Any) -> None:
    body = {"assignment_groups": ["DBA"]}
    for role in ("member", "lead_a", "leadership"):
        assert client_as(role).patch("/api/teams/team-a/", body, format="json").status_code == 403
    assert Team.objects.get(slug="team-a").assignment_groups == []


def test_the_admin_edits_them_with_the_same_rules(people: Any) -> None:
    Team.objects.filter(slug="team-b").update(assignment_groups=["Core Banking Support"])
    client = Client()
    client.force_login(people["admin"])
    team = Team.objects.get(slug="team-a")
    url = f"/admin/cataligent/team/{team.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "assignment_groups" in page.content.decode()
    form = {
        "name": team.name,
        "slug": team.slug,
        "description": "",
        "lead": people["lead_a"].pk,
        "members": [],
        "default_escalation_policy": "",
        "cataligent-auditentry-content_type-object_id-TOTAL_FORMS": "0",
        "cataligent-auditentry-content_type-object_id-INITIAL_FORMS": "0",
    }
    taken = client.post(url, {**form, "assignment_groups": '["Core Banking Support"]'})
    assert taken.status_code == 200 and "already belongs to the team" in taken.content.decode()
    saved = client.post(url, {**form, "assignment_groups": '["Lending Platform"]'})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Team.objects.get(pk=team.pk).assignment_groups == ["Lending Platform"]
