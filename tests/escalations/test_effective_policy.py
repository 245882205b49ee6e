"""One rule for the escalation path: the item's own policy, else its owning team's default,
else the default escalation to leadership. The engine, the gap list, the bottleneck page, the
map panel and the API all read it (issue 10, item 6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from dependencies.escalations.engine import escalate
from dependencies.graph.escalation_paths import escalation_path
from dependencies.models import Escalation, Node
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered(people: dict[str, Any]) -> dict[str, Any]:
    """`svc` has an owner and team A but no policy of its own: team A's default covers it.
    `stray` has neither team nor policy: only the default escalation to leadership."""
    forget_cache()
    default = EscalationPolicyFactory(name="Team A default", team=people["team_a"])
    EscalationLevelFactory(
        policy=default, position=1, after_minutes=0, notify_team=people["team_a"], notify_role=""
    )
    people["team_a"].default_escalation_policy = default
    people["team_a"].save()
    svc = NodeFactory(
        slug="svc",
        name="Payments service",
        team=people["team_a"],
        owner=people["lead_a"],
        manual_state="blocked",
    )
    stray = NodeFactory(slug="stray", name="Stray integration", manual_state="blocked")
    objective = ObjectiveFactory(
        key="OBJ-9", value_at_stake=500, team=people["team_a"], owner=people["lead_a"]
    )
    objective.requirements.create(node=svc)
    objective.requirements.create(node=stray)
    impact_recompute(force=True)
    yield {"default": default, "svc": svc, "stray": stray}
    forget_cache()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_path_is_the_teams_default(covered: dict[str, Any]) -> None:
    svc = Node.objects.select_related("team").get(slug="svc")
    path = escalation_path(svc)
    assert path.policy == covered["default"] and path.inherited and not path.is_default
    assert [level.target_display for level in path.levels] == ["lead of Team A"]
    assert svc.ownership_gaps == []

    stray = Node.objects.select_related("team").get(slug="stray")
    assert escalation_path(stray).is_default
    assert [lv.target_display for lv in escalation_path(stray).levels] == [
        "everyone with the leadership role"
    ]
    assert stray.ownership_gaps == ["owner", "team", "escalation policy"]


def test_the_engine_escalates_through_the_same_path(covered: dict[str, Any]) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False):
        escalate()
    fired = {
        e.node.slug: e for e in Escalation.objects.filter(node__isnull=False).select_related("node")
    }
    assert fired["svc"].policy == covered["default"]
    assert fired["svc"].target_display == "lead of Team A"
    assert fired["stray"].policy is None and fired["stray"].target_role == "leadership"
    objective = Escalation.objects.get(objective__key="OBJ-9")
    assert objective.policy == covered["default"]


def test_gap_list_and_dashboard_do_not_count_a_covered_item(
    people: dict[str, Any], covered: dict[str, Any]
) -> None:
    client = _client(people["leadership"])
    for url in ("/ownership-gaps/", "/ownership-gaps/?missing=escalation_policy"):
        body = client.get(url).content.decode()
        assert "Stray integration" in body
        assert "Payments service" not in body, url
    assert client.get("/dashboard/").context["gaps"] | {"unowned_nodes": 0} == {
        "nodes": 1,
        "objectives": 0,
        "unowned_nodes": 0,
        "blocked_unowned": 1,
    }
    assert client.get("/api/v1/objectives/OBJ-9/").json()["ownership_gaps"] == []


def test_pages_show_the_teams_default_not_no_escalation_path(
    people: dict[str, Any], covered: dict[str, Any]
) -> None:
    client = _client(people["leadership"])
    panel = client.get("/map/nodes/svc/", HTTP_HX_REQUEST="true").content.decode()
    assert "Team A default (team default)" in panel
    assert "lead of Team A" in panel
    assert "no escalation path" not in panel

    stray = client.get("/map/nodes/stray/", HTTP_HX_REQUEST="true").content.decode()
    assert "no escalation path" in stray and "everyone with the leadership role" in stray

    bottlenecks = client.get("/bottlenecks/").content.decode()
    row = bottlenecks[bottlenecks.index("Payments service") :]
    row = row[: row.index("</tr>")]
    assert "Team A default" in row and "no escalation path" not in row
    csv_body = client.get("/bottlenecks/?format=csv").content.decode()
    assert any(
        line.split(",")[1] == "svc" and "Team A default" in line for line in csv_body.splitlines()
    )


def test_the_api_reports_the_same_gaps(people: dict[str, Any], covered: dict[str, Any]) -> None:
    client = _client(people["leadership"])
    assert client.get("/api/v1/nodes/svc/").json()["ownership_gaps"] == []
    assert client.get("/api/v1/nodes/stray/").json()["ownership_gaps"] == [
        "owner",
        "team",
        "escalation policy",
    ]
    nodes = {n["slug"]: n for n in client.get("/api/v1/map/?view=all").json()["nodes"]}
    assert nodes["svc"]["ownership_gaps"] == []
    assert nodes["stray"]["ownership_gaps"] == ["owner", "team", "escalation policy"]
