"""Governance changes are recorded with who, when, old and new value."""

from __future__ import annotations

from typing import Any

from cataligent.models import AuditEntry
from tests.factories import NodeFactory


def test_node_changes_are_in_its_history(client_as: Any, people: dict[str, Any]) -> None:
    node = NodeFactory(team=people["team_a"])
    client = client_as("lead_a")
    client.patch(
        f"/api/nodes/{node.slug}/",
        {"owner": "lead_a", "manual_state": "blocked", "manual_reason": "vendor down"},
        format="json",
    )
    target = NodeFactory(slug="db")
    client.post("/api/edges/", {"source": node.slug, "target": "db"}, format="json")

    history = client.get(f"/api/nodes/{node.slug}/history/").json()["results"]
    changes = {entry["field"]: entry for entry in history}
    assert changes["owner"]["old_value"] is None
    assert changes["owner"]["new_value"] == "lead_a"
    assert changes["manual_state"]["new_value"] == "blocked"
    assert changes["depends_on"]["new_value"]["target"] == target.slug
    assert {entry["actor"] for entry in history} == {"lead_a"}
    node.refresh_from_db()
    assert node.manual_set_by == people["lead_a"]


def test_unchanged_values_write_no_history(client_as: Any, people: dict[str, Any]) -> None:
    node = NodeFactory(team=people["team_a"])
    before = AuditEntry.objects.count()
    response = client_as("lead_a").patch(
        f"/api/nodes/{node.slug}/", {"team": "team-a"}, format="json"
    )
    assert response.status_code == 200
    assert AuditEntry.objects.count() == before


def test_requirement_changes_are_in_the_objective_history(client_as: Any, people: Any) -> None:
    NodeFactory(slug="cap-a")
    NodeFactory(slug="cap-b")
    client = client_as("lead_a")
    key = client.post(
        "/api/objectives/",
        {"title": "T", "team": "team-a", "requires": [{"node": "cap-a"}]},
        format="json",
    ).json()["key"]
    client.patch(
        f"/api/objectives/{key}/",
        {"requires": [{"node": "cap-b", "criticality": "soft"}]},
        format="json",
    )
    history = client.get(f"/api/objectives/{key}/history/").json()["results"]
    requires = [e for e in history if e["field"] == "requires"]
    assert requires[0]["old_value"] == [{"node": "cap-a", "criticality": "hard"}]
    assert requires[0]["new_value"] == [{"node": "cap-b", "criticality": "soft"}]
