"""Field by field, over every writable API resource: a hostile value is a 400 naming the
field, never a 500 (PostgreSQL refuses NUL in a lookup or a write: run with DATABASE_URL).

Bodies are sent as raw JSON so that a lone surrogate arrives as the `\\ud800` escape a
client would send, and nesting is as deep as asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from dependencies.models import Escalation, Node
from objectives.models import Objective
from tests.factories import ConnectorFactory, NodeFactory, ObjectiveFactory, TicketFactory

LONG = "x" * 100_000


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


# Refused wherever they appear, whatever the field: always a 400 naming it.
ALWAYS_REFUSED = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "100k-chars": LONG,
    "nested-200-deep": deep(200),
}
# Acceptable to some fields (a number is a fine name), refused by others: never a 500.
MAYBE_REFUSED = {
    "object": {"x": {"y": 1}},
    "list": [[1], {"x": None}],
    "huge-int": 10**30,
    "int64-overflow": 2**63,
    "float": 1.5,
    "bool": True,
    "null": None,
}


def put(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """`payload` with the value at `path` (("levels", 0, "notify_user")) replaced."""
    copy = json.loads(json.dumps(payload))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _escalation(node: Node) -> Escalation:
    now = timezone.now()
    return Escalation.objects.create(
        node=node,
        episode_started_at=now,
        level=1,
        target_role="leadership",
        target_display="Leadership",
        fired_at=now,
    )


# (url, valid body, field paths); the callables get the objects made by `world`.
RESOURCES: dict[str, tuple[Callable[[dict[str, Any]], str], dict[str, Any], list[tuple[Any, ...]]]]
RESOURCES = {
    "nodes": (
        lambda w: "/api/nodes/",
        {"slug": "hostile", "name": "Hostile", "kind": "service"},
        [
            ("slug",),
            ("name",),
            ("kind",),
            ("description",),
            ("owner",),
            ("team",),
            ("escalation_policy",),
            ("manual_state",),
            ("manual_reason",),
        ],
    ),
    "node-update": (
        lambda w: "/api/nodes/n1/",
        {"name": "Renamed"},
        [("name",), ("owner",), ("team",), ("escalation_policy",), ("manual_reason",)],
    ),
    "edges": (
        lambda w: "/api/edges/",
        {"source": "n1", "target": "n2"},
        [
            ("source",),
            ("target",),
            ("criticality",),
            ("redundancy_group",),
            ("min_operational",),
        ],
    ),
    "objectives": (
        lambda w: "/api/objectives/",
        {"title": "T", "requires": [{"node": "n1"}]},
        [
            ("title",),
            ("key",),
            ("description",),
            ("owner",),
            ("team",),
            ("escalation_policy",),
            ("period",),
            ("parent",),
            ("declared_status",),
            ("value_at_stake",),
            ("update_cadence_days",),
            ("target_date",),
            ("requires", 0, "node"),
            ("requires", 0, "criticality"),
        ],
    ),
    "teams": (
        lambda w: "/api/teams/",
        {"slug": "hostile-team", "name": "Hostile team", "members": ["member"]},
        [
            ("slug",),
            ("name",),
            ("description",),
            ("lead",),
            ("members", 0),
            ("default_escalation_policy",),
        ],
    ),
    "escalation-policies": (
        lambda w: "/api/escalation-policies/",
        {"name": "P", "levels": [{"after_minutes": 5, "notify_role": "leadership"}]},
        [
            ("name",),
            ("team",),
            ("description",),
            ("levels", 0, "after_minutes"),
            ("levels", 0, "notify_user"),
            ("levels", 0, "notify_team"),
            ("levels", 0, "notify_role"),
        ],
    ),
    "connectors": (
        lambda w: "/api/connectors/",
        {
            "slug": "hostile-source",
            "name": "Hostile",
            "kind": "servicenow",
            "base_url": "https://example.service-now.com/",
            "auth": {"type": "basic", "username": "integration", "secret": "s3cret"},
        },
        [
            ("slug",),
            ("name",),
            ("kind",),
            ("base_url",),
            ("auth", "type"),
            ("auth", "username"),
            ("auth", "secret"),
            ("webhook_secret",),
            ("query",),
            ("poll_interval",),
            ("page_size",),
            ("blocking_priority",),
            ("blocker_labels",),
            ("status_map",),
            ("priority_map",),
            ("options",),
        ],
    ),
    "link-rules": (
        lambda w: "/api/link-rules/",
        {"connector": "src", "field": "ci", "pattern": "db-01", "node": "n1"},
        [("connector",), ("field",), ("pattern",), ("node",), ("objective",)],
    ),
    "links": (
        lambda w: "/api/links/",
        {"ticket": 0, "node": "n1"},
        [("ticket",), ("node",), ("objective",)],
    ),
    "status-updates": (
        lambda w: "/api/status-updates/",
        {"objective": "", "rag": "green", "summary": "On track"},
        [("objective",), ("rag",), ("summary",), ("blockers",), ("decisions_needed",)],
    ),
    "acknowledge": (
        lambda w: f"/api/escalations/{w['escalation'].pk}/acknowledge/",
        {"note": "on it"},
        [("note",)],
    ),
    "whatif": (
        lambda w: "/api/whatif/",
        {"block": ["n1"]},
        [("block", 0), ("unblock",)],
    ),
}
CASES = [(resource, path) for resource, (_url, _body, paths) in RESOURCES.items() for path in paths]


@pytest.fixture
def world(people: Any) -> dict[str, Any]:
    n1 = NodeFactory(slug="n1")
    NodeFactory(slug="n2")
    objective = ObjectiveFactory()
    ticket = TicketFactory(connector=ConnectorFactory(slug="src"))
    return {"escalation": _escalation(n1), "objective": objective, "ticket": ticket}


def _send(client: Any, resource: str, world: dict[str, Any], body: dict[str, Any]) -> Any:
    """One request whose writes are undone after it, so each probe starts from `world`."""
    url_for, _, _ = RESOURCES[resource]
    method = client.patch if resource == "node-update" else client.post
    raw = json.dumps(body)  # ensure_ascii: a lone surrogate travels as its escape
    with transaction.atomic():
        response = method(url_for(world), raw, content_type="application/json")
        transaction.set_rollback(True)
    return response


def _valid_body(resource: str, world: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(RESOURCES[resource][1]))
    if resource == "links":
        body["ticket"] = world["ticket"].pk
    if resource == "status-updates":
        body["objective"] = world["objective"].key
    return body


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_the_valid_body_is_accepted(resource: str, client_as: Any, world: Any) -> None:
    """The bodies below differ from an accepted one only in the field under test."""
    response = _send(client_as("admin"), resource, world, _valid_body(resource, world))
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize(("resource", "path"), CASES)
def test_hostile_values_are_a_400_naming_the_field(
    resource: str, path: tuple[Any, ...], client_as: Any, world: Any
) -> None:
    client = client_as("admin")
    field = path[0]
    for name, value in ALWAYS_REFUSED.items():
        body = put(_valid_body(resource, world), path, value)
        response = _send(client, resource, world, body)
        assert response.status_code == 400, (name, response.status_code, response.content[:300])
        assert field in response.json(), (name, response.json())
    for name, value in MAYBE_REFUSED.items():
        body = put(_valid_body(resource, world), path, value)
        response = _send(client, resource, world, body)
        assert response.status_code < 500, (name, response.content[:300])
        if response.status_code == 400:
            assert field in response.json(), (name, response.json())


@pytest.mark.parametrize(
    "path", [("poll_interval",), ("page_size",), ("blocking_priority",)], ids=lambda p: p[0]
)
def test_integers_beyond_any_column_are_refused(
    path: tuple[str], client_as: Any, world: Any
) -> None:
    for value in (10**30, 2**63, 2**31):
        body = put(_valid_body("connectors", world), path, value)
        response = _send(client_as("admin"), "connectors", world, body)
        assert response.status_code == 400
        assert path[0] in response.json()


def test_json_nested_past_the_parser_is_a_400_not_a_recursion_error(client_as: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000
    for url in ("/api/nodes/", "/api/whatif/", "/api/objectives/"):
        response = client_as("admin").generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400
        assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("body", ["[]", "null", '"x"', "1.5", "[{}]"])
def test_acknowledge_with_a_body_that_is_not_an_object(
    body: str, client_as: Any, world: Any
) -> None:
    url = f"/api/escalations/{world['escalation'].pk}/acknowledge/"
    response = client_as("admin").generic("POST", url, body, content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    world["escalation"].refresh_from_db()
    assert world["escalation"].acknowledged_at is None


@pytest.mark.parametrize("body", ["[]", '"x"', '{"full": "sometimes"}'])
def test_sync_with_a_body_that_is_not_an_object(body: str, client_as: Any, world: Any) -> None:
    response = client_as("admin").generic(
        "POST", "/api/connectors/src/sync/", body, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/nodes/%00/", "path"),
        ("/api/nodes/a%00b/history/", "path"),
        ("/api/teams/%00/", "path"),
        ("/api/objectives/OBJ-%00/", "path"),
        ("/api/connectors/%00/", "path"),
        ("/api/nodes/?team=%00", "team"),
        ("/api/nodes/?q=a%00", "q"),
        ("/api/link-rules/preview/?field=ci&pattern=x&connector=%00", "connector"),
        ("/api/escalations/?team=%00", "team"),
        ("/api/map/?objective=%00", "objective"),
        ("/api/tickets/?ordering=%00", "ordering"),
    ],
)
def test_nul_in_a_path_or_query_parameter_is_a_400_naming_it(
    url: str, named: str, client_as: Any
) -> None:
    response = client_as("member").get(url)
    assert response.status_code == 400
    assert named in response.json()


def test_form_encoded_bodies_are_checked_too(client_as: Any, world: Any) -> None:
    response = client_as("admin").post(
        "/api/edges/", {"source": "n1\x00", "target": "n2"}, format="multipart"
    )
    assert response.status_code == 400
    assert "source" in response.json()
    response = client_as("admin").post(
        "/api/nodes/",
        "slug=x&name=X&kind=service&owner=%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "owner" in response.json()


def test_nothing_is_written_by_a_refused_body(client_as: Any, world: Any) -> None:
    before = (Node.objects.count(), Objective.objects.count())
    client = client_as("admin")
    _send(client, "nodes", world, put(_valid_body("nodes", world), ("owner",), "a\x00"))
    _send(client, "objectives", world, put(_valid_body("objectives", world), ("team",), LONG))
    assert (Node.objects.count(), Objective.objects.count()) == before
