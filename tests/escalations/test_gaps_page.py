"""The ownership gaps page: sorted by value at stake, inline and bulk assignment by role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cataligent.models import AuditEntry
from dependencies.models import Edge, Node
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import EscalationPolicyFactory, NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    forget_cache()
    yield
    forget_cache()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def graph(people: Any) -> dict[str, Node]:
    cap = NodeFactory(
        slug="cap", name="Lending capability", kind="capability", team=people["team_a"]
    )
    api = NodeFactory(slug="api", name="Core banking API", kind="integration")  # the gap
    side = NodeFactory(slug="side", name="Side service")  # a gap nothing valuable rests on
    Edge.objects.create(source=cap, target=api)
    objective = ObjectiveFactory(
        key="OBJ-1", value_at_stake=150000, team=people["team_a"], owner=people["lead_a"]
    )
    objective.requirements.create(node=cap)
    impact_recompute(force=True)
    return {"cap": cap, "api": api, "side": side}


def test_gaps_sorted_by_the_value_resting_on_them(graph: Any, people: Any) -> None:
    body = _client(people["member"]).get("/ownership-gaps/").content.decode()
    assert body.index("Core banking API") < body.index("Side service")
    assert "150,000" in body
    assert "no owner" in body


def test_filters(graph: Any, people: Any) -> None:
    client = _client(people["member"])
    only_objectives = client.get("/ownership-gaps/?kind=objective").content.decode()
    assert "Core banking API" not in only_objectives
    assert "OBJ-1" in only_objectives  # it has no escalation policy: a gap
    no_team = client.get("/ownership-gaps/?missing=team", HTTP_HX_REQUEST="true").content.decode()
    assert "Core banking API" in no_team and "Lending capability" not in no_team


def test_team_lead_claims_a_gap_inline_and_it_is_audited(graph: Any, people: Any) -> None:
    policy = EscalationPolicyFactory(name="Lending standard")
    api = graph["api"]
    response = _client(people["lead_a"]).post(
        "/ownership-gaps/assign/",
        {
            "items": f"node:{api.pk}",
            "team": "team-a",
            "owner": "lead_a",
            "escalation_policy": policy.name,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    api.refresh_from_db()
    assert (api.team.slug, api.owner.username, api.escalation_policy) == (
        "team-a",
        "lead_a",
        policy,
    )
    assert "complete" in response.content.decode()
    entry = AuditEntry.objects.get(object_id=str(api.pk), field="team")
    assert entry.actor == people["lead_a"]


def test_refusals(graph: Any, people: Any) -> None:
    api = graph["api"]
    # A lead cannot claim for a team they do not lead; a member cannot assign at all.
    refused = _client(people["lead_b"]).post(
        "/ownership-gaps/assign/",
        {"items": f"node:{api.pk}", "team": "team-a"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 403
    member = _client(people["member"]).post(
        "/ownership-gaps/assign/",
        {"items": f"node:{api.pk}", "team": "team-b"},
        HTTP_HX_REQUEST="true",
    )
    assert member.status_code == 403
    # Leadership assigns a team to a gap, and nothing else.
    leader = _client(people["leadership"])
    ok = leader.post(
        "/ownership-gaps/assign/",
        {"items": f"node:{api.pk}", "team": "team-b"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200
    api.refresh_from_db()
    assert api.team.slug == "team-b"
    bad = leader.post(
        "/ownership-gaps/assign/",
        {"items": f"node:{api.pk}", "owner": "lead_b"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 403
    unknown = leader.post(
        "/ownership-gaps/assign/",
        {"items": f"node:{api.pk}", "owner": "ghost"},
        HTTP_HX_REQUEST="true",
    )
    assert unknown.status_code == 400 and b"ghost" in unknown.content


def test_bulk_assignment_reports_what_was_refused(graph: Any, people: Any) -> None:
    other = NodeFactory(slug="other", team=people["team_b"])  # lead_a may not touch it
    response = _client(people["lead_a"]).post(
        "/ownership-gaps/assign/",
        {
            "items": [f"node:{graph['api'].pk}", f"node:{graph['side'].pk}", f"node:{other.pk}"],
            "team": "team-a",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "You may change only the items of a team you lead" in page
    assert set(Node.objects.filter(team__slug="team-a").values_list("slug", flat=True)) >= {
        "api",
        "side",
    }
    other.refresh_from_db()
    assert other.team.slug == "team-b"


def test_open_redirect_is_refused(graph: Any, people: Any) -> None:
    response = _client(people["lead_a"]).post(
        "/ownership-gaps/assign/",
        {"items": f"node:{graph['api'].pk}", "team": "team-a", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/ownership-gaps/"


def test_leadership_is_offered_only_the_team(graph: Any, people: Any) -> None:
    page = _client(people["leadership"]).get("/ownership-gaps/").content.decode()
    assert 'name="team"' in page
    assert 'name="owner"' not in page and 'name="escalation_policy"' not in page
    lead_page = _client(people["lead_a"]).get("/ownership-gaps/").content.decode()
    assert 'name="owner"' in lead_page


def test_the_inbox_marks_read_only_what_it_shows(people: Any) -> None:
    from dependencies.models import Notification

    user = people["leadership"]
    for n in range(25):
        Notification.objects.create(
            recipient=user,
            channel=Notification.Channel.INBOX,
            event=Notification.Event.ESCALATION_FIRED,
            event_key=f"test-{n}",
            subject=f"Escalation {n}",
            body="",
        )
    client = _client(user)
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    client.get("/escalations/", headers={"HX-Request": "true"})  # a filter change
    assert unread.count() == 25
    page = client.get("/escalations/").content.decode()
    assert "New for you (20)" in page
    assert unread.count() == 5
