"""/api/v1/ is the API; the unversioned /api/ paths answer the same, marked deprecated."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from dependencies.map.drawing import forget_map_cache
from tests.factories import EdgeFactory, NodeFactory, ObjectiveFactory, UserFactory

pytestmark = pytest.mark.django_db

READS = [
    "teams/",
    "nodes/",
    "nodes/cap-a/",
    "nodes/cap-a/history/",
    "edges/",
    "objectives/",
    "escalation-policies/",
    "connectors/",
    "tickets/",
    "links/",
    "link-rules/",
    "sync-runs/",
    "escalations/",
    "status-updates/",
    "map/?view=all",
    "single-points-of-failure/",
    "auth/tokens/",
    "nodes/?page_size=1",
    "no-such-thing/",
]


@pytest.fixture
def graph(people: dict[str, Any], monkeypatch: Any) -> None:
    # The map's reads are cached per stored result in the process; the versions restart
    # with each test's database, so this test's answers must not outlive it.
    forget_map_cache()
    cap = NodeFactory(slug="cap-a", kind="capability", team=people["team_a"])
    EdgeFactory(source=cap, target=NodeFactory(slug="db-a", kind="data"))
    ObjectiveFactory()


@pytest.mark.parametrize("path", READS)
def test_v1_answers_what_the_unversioned_alias_answers(
    path: str, graph: None, client_as: Any
) -> None:
    client = client_as("admin")
    versioned = client.get(f"/api/v1/{path}")
    alias = client.get(f"/api/{path}")
    assert versioned.status_code == alias.status_code
    body = versioned.json()
    alias_body = alias.json()
    # Page links point back at the path that was asked; everything else is the same.
    for key in ("next", "previous"):
        if isinstance(body, dict) and body.get(key):
            assert "/api/v1/" in body[key]
            assert body.pop(key).replace("/api/v1/", "/api/") == alias_body.pop(key)
    if path == "no-such-thing/":
        assert body == {
            "detail": "No API endpoint at /api/v1/no-such-thing/. See /api/v1/docs/ "
            "for what there is."
        }
        return
    assert body == alias_body


def test_writes_and_refusals_are_the_same_on_v1(graph: None, client_as: Any) -> None:
    admin = client_as("admin")
    made = admin.post("/api/v1/edges/", {"source": "cap-a", "target": "db-b"}, format="json")
    assert made.status_code == 400
    assert "target" in made.json()
    NodeFactory(slug="db-b", kind="data")
    made = admin.post("/api/v1/edges/", {"source": "cap-a", "target": "db-b"}, format="json")
    assert made.status_code == 201, made.content
    lead_b = client_as("lead_b")
    refused = lead_b.patch("/api/v1/nodes/cap-a/", {"description": "x"}, format="json")
    assert refused.status_code == 403
    assert (
        refused.json()
        == lead_b.patch("/api/nodes/cap-a/", {"description": "x"}, format="json").json()
    )
    anonymous = client_as("anonymous")
    assert anonymous.get("/api/v1/nodes/").status_code == 401
    assert anonymous.get("/api/nodes/").status_code == 401


def test_a_token_from_v1_works_on_both() -> None:
    UserFactory(username="integrator", password="a-long-password")
    client = APIClient()
    answer = client.post(
        "/api/v1/auth/token/", {"username": "integrator", "password": "a-long-password"}
    )
    assert answer.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert client.get("/api/v1/auth/tokens/").status_code == 200
    assert client.get("/api/auth/tokens/").status_code == 200


def test_the_aliases_say_they_are_deprecated_and_where_to_go(client_as: Any) -> None:
    client = client_as("member")
    alias = client.get("/api/nodes/?kind=capability")
    assert alias["Deprecation"] == "@1796601600"
    assert alias["Link"] == '<http://testserver/api/v1/nodes/>; rel="successor-version"'
    versioned = client.get("/api/v1/nodes/")
    assert "Deprecation" not in versioned
    assert "Link" not in versioned
    # Pages that merely start with "api" are no API.
    assert "Deprecation" not in client.get("/map/")


def test_the_api_roots_link_within_their_own_version(client_as: Any) -> None:
    client = client_as("member")
    assert client.get("/api/v1/").json()["nodes"] == "http://testserver/api/v1/nodes/"
    assert client.get("/api/").json()["nodes"] == "http://testserver/api/nodes/"


def test_the_schema_documents_v1_only(tmp_path: Any, client_as: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = [
        line.strip().rstrip(":") for line in out.read_text().splitlines() if line.startswith("  /")
    ]
    assert "/api/v1/nodes/" in paths
    assert "/api/v1/auth/token/" in paths
    assert [path for path in paths if not path.startswith("/api/v1/")] == []
    # Served under both prefixes, the schema is the same document.
    client = client_as("member")
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema == client.get("/api/schema/?format=json").json()
    assert "/api/v1/map/" in schema["paths"]
