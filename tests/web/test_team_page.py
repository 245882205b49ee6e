"""A team's page (issue 18, item 8): a team lead lands on it after signing in; it lists the
team's items with their states, its gaps, open escalations and overdue updates; its lead and
admins edit its assignment groups (one a line; trimmed, once each, one team per group)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cataligent.audit import history_lines
from cataligent.models import AuditEntry
from dependencies.map.drawing import forget_map_cache
from dependencies.models import Escalation
from dependencies.recompute.runner import forget_cache
from tests.factories import EscalationPolicyFactory, NodeFactory, ObjectiveFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_engine_cache(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Each test has its own database; a result cached by an earlier test is not its, nor
    # is one this test caches the next test's.
    monkeypatch.setattr("dependencies.escalations.gaps._exposure_cache", None)
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_team_lead_lands_on_their_team_page(people: dict[str, Any]) -> None:
    response = _client(people["lead_a"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/teams/team-a/"


@pytest.mark.parametrize(("role", "landing"), [("leadership", "/map/"), ("admin", "/objectives/")])
def test_leadership_and_admins_keep_their_landing(
    people: dict[str, Any], role: str, landing: str
) -> None:
    assert _client(people[role]).get("/")["Location"] == landing


def test_a_team_lead_without_a_team_lands_on_the_objectives(people: dict[str, Any]) -> None:
    nobody = UserFactory(username="lonely", roles=["team_lead"])
    assert _client(nobody).get("/")["Location"] == "/objectives/"


def test_the_page_lists_items_gaps_escalations_and_overdue_updates(
    people: dict[str, Any],
) -> None:
    team = people["team_a"]
    policy = EscalationPolicyFactory(name="A policy", team=team)
    owner = UserFactory(username="sara", first_name="Sara", last_name="Okafor")
    blocked = NodeFactory(
        slug="ledger", name="Core ledger", team=team, owner=owner, escalation_policy=policy
    )
    blocked.state = "blocked"
    blocked.save(update_fields=["state"])
    NodeFactory(slug="no-owner", name="Orphan feed", team=team, owner=None)
    NodeFactory(slug="theirs", name="Not ours", team=people["team_b"])
    objective = ObjectiveFactory(key="OBJ-7", title="Launch lending", team=team, owner=owner)
    type(objective).objects.filter(pk=objective.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    now = timezone.now()
    Escalation.objects.create(
        node=blocked, episode_started_at=now, level=1, target_display="Team A's lead", fired_at=now
    )
    body = _client(people["member"]).get("/teams/team-a/").content.decode()
    assert "Core ledger" in body and "■ Blocked" in body
    assert "Sara Okafor" in body  # people by their names
    assert "Not ours" not in body
    assert "Orphan feed" in body and "⚑ no owner" in body  # a gap
    assert "level 1 to Team A&#x27;s lead" in body  # an open escalation
    assert "OBJ-7 Launch lending" in body and "never updated" in body  # overdue


def test_the_page_reads_in_a_fixed_number_of_queries(people: dict[str, Any]) -> None:
    team = people["team_a"]
    client = _client(people["lead_a"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/teams/team-a/").status_code == 200
        return len(ctx.captured_queries)

    NodeFactory(team=team, owner=UserFactory())
    ObjectiveFactory(team=team, owner=UserFactory())
    count()  # the first read loads the graph for the gaps' value at stake, then caches it
    few = count()
    for _ in range(5):
        NodeFactory(team=team, owner=UserFactory(), escalation_policy=None)
        ObjectiveFactory(team=team, owner=UserFactory())
    assert count() == few


def test_the_teams_list_shows_every_team_with_its_lead(people: dict[str, Any]) -> None:
    body = _client(people["member"]).get("/teams/").content.decode()
    assert 'href="/teams/team-a/"' in body and 'href="/teams/team-b/"' in body
    assert "lead_a" in body


def _groups(client: Client, text: str, slug: str = "team-a") -> Any:
    return client.post(f"/teams/{slug}/assignment-groups/", {"assignment_groups": text})


def test_the_lead_saves_groups_trimmed_once_each_and_audited(people: dict[str, Any]) -> None:
    response = _groups(_client(people["lead_a"]), "  Lending Ops \n\nlending ops\nCore   Banking\n")
    assert response.status_code == 302
    team = people["team_a"]
    team.refresh_from_db()
    assert team.assignment_groups == ["Lending Ops", "Core Banking"]
    entry = AuditEntry.objects.get(field="assignment_groups")
    assert entry.actor == people["lead_a"] and entry.new_value == ["Lending Ops", "Core Banking"]
    sentence = history_lines(team)[0].what
    assert sentence == "added “Lending Ops”, “Core Banking” as assignment groups"


def test_a_group_of_another_team_is_refused_next_to_the_field_keeping_the_text(
    people: dict[str, Any],
) -> None:
    team_b = people["team_b"]
    team_b.assignment_groups = ["Payments Ops"]
    team_b.save()
    response = _groups(_client(people["lead_a"]), "Lending Ops\npayments ops")
    body = response.content.decode()
    assert response.status_code == 200
    assert "already belongs to the team Team B" in body
    assert 'id="id_assignment_groups_error"' in body
    assert 'aria-describedby="id_assignment_groups_helptext id_assignment_groups_error"' in body
    assert "Lending Ops\npayments ops</textarea>" in body  # nothing emptied
    people["team_a"].refresh_from_db()
    assert people["team_a"].assignment_groups == []
    assert not AuditEntry.objects.filter(field="assignment_groups").exists()


@pytest.mark.parametrize("role", ["member", "lead_b", "leadership"])
def test_others_may_not_change_the_groups(people: dict[str, Any], role: str) -> None:
    assert _groups(_client(people[role]), "Mine").status_code == 403
    people["team_a"].refresh_from_db()
    assert people["team_a"].assignment_groups == []


def test_the_form_is_offered_to_the_lead_only(people: dict[str, Any]) -> None:
    assert (
        "Save the assignment groups"
        in _client(people["lead_a"]).get("/teams/team-a/").content.decode()
    )
    assert "Save the assignment groups" not in (
        _client(people["lead_b"]).get("/teams/team-a/").content.decode()
    )


def test_the_api_carries_assignment_groups_with_the_same_rules(
    people: dict[str, Any], client_as: Any
) -> None:
    people["team_b"].assignment_groups = ["Payments Ops"]
    people["team_b"].save()
    admin = client_as("admin")
    ok = admin.patch(
        "/api/v1/teams/team-a/",
        {"assignment_groups": [" Ledger Ops ", "ledger ops"]},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["assignment_groups"] == ["Ledger Ops"]
    taken = admin.patch(
        "/api/v1/teams/team-a/", {"assignment_groups": ["PAYMENTS OPS"]}, format="json"
    )
    assert taken.status_code == 400
    assert "Team B" in str(taken.json()["assignment_groups"])
