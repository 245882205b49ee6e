"""The pages under hostile input: a 400 or the form again with the field's error, never a
500 (PostgreSQL refuses NUL in a lookup: run with DATABASE_URL)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dependencies.models import Escalation, EscalationPolicy, Node
from integrations.models import Connector, LinkRule, QuarantinedRecord
from objectives.models import StatusUpdate
from tests.factories import ConnectorFactory, NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/nodes/%00/", "path"),
        ("/map/nodes/a%00/", "path"),
        ("/connectors/%00/", "path"),
        ("/map/?team=%00", "team"),
        ("/map/graph.json?objective=a%00", "objective"),
        ("/ownership-gaps/?q=%00", "q"),
        ("/escalations/?team=%00", "team"),
        ("/nodes/?q=%00", "q"),
        ("/connectors/src/rules/preview/?field=ci&pattern=%00", "pattern"),
    ],
)
def test_nul_in_a_page_path_or_query_is_a_400_naming_it(url: str, named: str, people: Any) -> None:
    ConnectorFactory(slug="src")
    response = _client(people["admin"]).get(url)
    assert response.status_code == 400
    assert named in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("user", "lead_a\x00", "NUL"),
        ("after_minutes", "99999999999999999999", "less than or equal to"),
    ],
)
def test_a_hostile_policy_level_is_the_fields_error(
    field: str, value: str, says: str, people: Any
) -> None:
    level = {"after_minutes": "5", "notify": "user", "user": "lead_a", field: value}
    response = _client(people["admin"]).post(
        "/escalation-policies/new/",
        {
            "name": "P",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            **{f"levels-0-{key}": item for key, item in level.items()},
        },
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not EscalationPolicy.objects.exists()


def test_nul_in_a_team_assignment_and_a_manual_state(people: Any) -> None:
    node = NodeFactory(slug="api")
    client = _client(people["admin"])
    team = client.post("/map/nodes/api/team/", {"team": "team-a\x00"})
    state = client.post(
        "/map/nodes/api/state/", {"manual_state": "blocked", "manual_reason": "why\x00"}
    )
    assert team.status_code < 500 and state.status_code < 500
    node.refresh_from_db()
    assert (node.team, node.manual_state) == (None, "")


def test_nul_in_a_status_update(people: Any) -> None:
    objective = ObjectiveFactory(owner=people["lead_a"], team=people["team_a"])
    response = _client(people["lead_a"]).post(
        f"/objectives/{objective.key}/updates/", {"rag": "green", "summary": "fine\x00"}
    )
    assert response.status_code == 200
    assert "NUL" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_nul_in_a_connector_form_even_as_a_json_escape(people: Any) -> None:
    form = {
        "slug": "snow",
        "name": "ServiceNow",
        "kind": "servicenow",
        "base_url": "https://acme.service-now.com",
        "auth_type": "basic",
        "username": "integration",
        "new_secret": "p4ssw0rd-secret",
        "query": "active=true",
        "poll_interval": "300",
        "blocking_priority": "2",
        "page_size": "100",
    }
    client = _client(people["admin"])
    for change in (
        {"status_map": '{"New\\u0000": "open"}'},
        {"options": "[" * 5000 + "]" * 5000},
        {"username": "integ\x00ration"},
    ):
        response = client.post("/connectors/new/", {**form, **change})
        assert response.status_code == 200, change
        assert 'class="field-error"' in response.content.decode(), change
    assert not Connector.objects.exists()


def test_nul_in_a_link_rule(people: Any) -> None:
    ConnectorFactory(slug="src")
    response = _client(people["admin"]).post(
        "/connectors/src/rules/", {"field": "ci", "pattern": "db", "node": "api\x00"}
    )
    assert response.status_code < 500
    assert not LinkRule.objects.exists()


def _escalation() -> Escalation:
    now = timezone.now()
    return Escalation.objects.create(
        node=NodeFactory(),
        episode_started_at=now - timedelta(hours=1),
        level=1,
        target_role="leadership",
        target_display="Leadership",
        fired_at=now,
    )


def test_nul_in_an_acknowledgement_note_on_the_page(people: Any) -> None:
    escalation = _escalation()
    response = _client(people["admin"]).post(
        f"/escalations/{escalation.pk}/acknowledge/", {"note": "on it\x00"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "note" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("abc", "/ownership-gaps/"),
        ("", "/ownership-gaps/"),
        ("https://evil.example/", "/ownership-gaps/"),
        ("//evil.example/", "/ownership-gaps/"),
        ("/\\evil.example/", "/ownership-gaps/"),
        ("/ownership-gaps/?team=team-a", "/ownership-gaps/?team=team-a"),
    ],
)
def test_gap_assignment_goes_back_only_within_the_site(
    target: str, lands_on: str, people: Any
) -> None:
    node = NodeFactory(slug="api")
    response = _client(people["admin"]).post(
        "/ownership-gaps/assign/", {"items": f"node:{node.pk}", "team": "team-a", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert Node.objects.get(pk=node.pk).team.slug == "team-a"


def test_the_map_api_etag_is_a_hash_and_answers_weak_and_listed_validators(
    client_as: Any,
) -> None:
    client = client_as("member")
    response = client.get("/api/map/?objective=a%0Ab")  # used to reach the header
    assert response.status_code == 200
    etag = response["ETag"]
    assert "\n" not in etag and len(etag) <= 40  # a hash of the parameters, not them
    url = "/api/map/?objective=a%0Ab"
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    listed = client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert listed.status_code == 304
    assert listed["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get("/api/map/?objective=b", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_map_page_graph_answers_weak_validators(people: Any) -> None:
    client = _client(people["leadership"])
    etag = client.get("/map/graph.json")["ETag"]
    assert client.get("/map/graph.json", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_webhook_json_nested_too_deep_is_a_400_and_kept_in_quarantine() -> None:
    connector = Connector(
        slug="jira-hook",
        name="jira",
        kind="jira",
        base_url="https://example.atlassian.net",
        username="bot@example.com",
    )
    connector.set_secret("token")
    connector.set_webhook_secret("whsec")
    connector.save()
    body = ("[" * 100_000 + "]" * 100_000).encode()
    signature = "sha256=" + hmac.new(b"whsec", body, hashlib.sha256).hexdigest()
    response = Client().post(
        "/hooks/jira-hook/",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature": signature},
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    record = QuarantinedRecord.objects.get(connector=connector)
    assert record.raw_text.startswith("[[[")
    assert "nested too deeply" in record.reason
