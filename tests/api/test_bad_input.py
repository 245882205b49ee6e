"""Bad input gets a 400 that names the field, never a 500; nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest

from dependencies.models import Edge, Node
from objectives.models import Objective
from tests.factories import NodeFactory, ObjectiveFactory


@pytest.fixture
def admin_api(client_as: Any) -> Any:
    return client_as("admin")


def test_edge_to_unknown_node_names_the_field(admin_api: Any) -> None:
    source = NodeFactory()
    response = admin_api.post(
        "/api/edges/", {"source": source.slug, "target": "no-such-node"}, format="json"
    )
    assert response.status_code == 400
    assert "target" in response.json()
    assert "no-such-node" in response.json()["target"][0]


def test_self_edge_is_refused(admin_api: Any) -> None:
    node = NodeFactory()
    response = admin_api.post(
        "/api/edges/", {"source": node.slug, "target": node.slug}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"target": ["A node cannot depend on itself."]}
    assert not Edge.objects.exists()


def test_duplicate_edge_is_refused(admin_api: Any) -> None:
    a, b = NodeFactory(), NodeFactory()
    payload = {"source": a.slug, "target": b.slug}
    assert admin_api.post("/api/edges/", payload, format="json").status_code == 201
    response = admin_api.post("/api/edges/", payload, format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.json())
    assert Edge.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"slug": "x", "name": "X", "kind": "spaceship"}, "kind"),
        ({"slug": "x", "name": "X", "kind": "service", "manual_state": "on_fire"}, "manual_state"),
        ({"slug": "not a slug!", "name": "X", "kind": "service"}, "slug"),
        ({"slug": "x", "kind": "service"}, "name"),
        ({"slug": "x", "name": "X", "kind": "service", "team": "nope"}, "team"),
        ({"slug": "x", "name": "X", "kind": "service", "owner": "nobody"}, "owner"),
    ],
)
def test_node_bad_input(admin_api: Any, payload: dict[str, Any], field: str) -> None:
    response = admin_api.post("/api/nodes/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Node.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "T", "value_at_stake": "-5"}, "value_at_stake"),
        ({"title": "T", "value_at_stake": "lots"}, "value_at_stake"),
        ({"title": "T", "declared_status": "fine"}, "declared_status"),
        ({"title": "T", "key": "obj 1"}, "key"),
        ({"title": "T", "requires": [{"node": "ghost"}]}, "requires"),
        ({"title": "T", "requires": [{"node": "n1", "criticality": "vital"}]}, "requires"),
        ({"title": "T", "period": "1999-Q9"}, "period"),
        ({"value_at_stake": "5"}, "title"),
    ],
)
def test_objective_bad_input(admin_api: Any, payload: dict[str, Any], field: str) -> None:
    NodeFactory(slug="n1")
    response = admin_api.post("/api/objectives/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Objective.objects.exists()


def test_objective_requirements_listed_twice(admin_api: Any) -> None:
    NodeFactory(slug="n1")
    response = admin_api.post(
        "/api/objectives/",
        {"title": "T", "requires": [{"node": "n1"}, {"node": "n1", "criticality": "soft"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "n1" in str(response.json()["requires"])


def test_objective_cannot_be_its_own_ancestor(admin_api: Any) -> None:
    parent = ObjectiveFactory()
    child = ObjectiveFactory(parent=parent)
    response = admin_api.patch(
        f"/api/objectives/{parent.key}/", {"parent": child.key}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_escalation_level_needs_exactly_one_target(admin_api: Any) -> None:
    response = admin_api.post(
        "/api/escalation-policies/",
        {"name": "P", "levels": [{"after_minutes": 5}]},
        format="json",
    )
    assert response.status_code == 400
    assert "levels" in response.json()


def test_malformed_json_is_a_400(admin_api: Any) -> None:
    response = admin_api.generic(
        "POST", "/api/nodes/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unknown_api_url_is_a_json_404(admin_api: Any) -> None:
    response = admin_api.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert "/api/docs/" in response.json()["detail"]


def test_objective_create_generates_key_and_requirements(admin_api: Any) -> None:
    NodeFactory(slug="cap-a", kind="capability")
    response = admin_api.post(
        "/api/objectives/",
        {"title": "Launch", "value_at_stake": "1000", "requires": [{"node": "cap-a"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"] == f"OBJ-{Objective.objects.get().pk}"
    assert body["requires"] == [{"node": "cap-a", "criticality": "hard"}]
    assert body["state"] == "operational"


def test_list_is_paginated(admin_api: Any) -> None:
    NodeFactory.create_batch(3)
    body = admin_api.get("/api/nodes/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
