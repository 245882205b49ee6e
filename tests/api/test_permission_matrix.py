"""The permission matrix of DESIGN §2, generated for every API resource.

Each resource the router knows must have a spec here (the first test fails
otherwise), and every spec is run for every role and every write operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cataligent.api.urls import router
from objectives.models import StatusUpdate
from tests.factories import (
    ConnectorFactory,
    EdgeFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
    PeriodFactory,
    TeamFactory,
    TicketFactory,
)

People = dict[str, Any]


@dataclass
class Spec:
    make: Callable[[People], Any]  # an existing object owned by team A
    lookup: Callable[[Any], str]
    create: Callable[[People], dict[str, Any]]  # a valid new object for team A
    update: dict[str, Any] | None  # None: the resource cannot be changed through the API
    admin_only: bool = False
    admin_only_view: bool = False
    read_only: bool = False  # a mirror: nobody writes through the API
    # Only these signed-in roles read it (run costs); None: every signed-in user.
    view_roles: tuple[str, ...] | None = None
    leadership_writes: bool = False  # leadership writes it as admins do (periods)


def _connector(p: People) -> Any:
    return ConnectorFactory(slug="itsm")


def _ticket_link(p: People) -> Any:
    from integrations.models import TicketLink

    return TicketLink.objects.create(
        ticket=TicketFactory(), node=NodeFactory(team=p["team_a"]), via="manual"
    )


def _link_create(p: People) -> dict[str, Any]:
    return {"ticket": TicketFactory().pk, "node": NodeFactory(team=p["team_a"]).slug}


def _link_rule(p: People) -> Any:
    from integrations.models import LinkRule

    return LinkRule.objects.create(field="ci", pattern="db1", node=NodeFactory(team=p["team_a"]))


def _sync_run(p: People) -> Any:
    from integrations.models import SyncRun

    return SyncRun.objects.create(connector=ConnectorFactory())


def _escalation(p: People) -> Any:
    import datetime as dt

    from dependencies.models import Escalation

    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    return Escalation.objects.create(
        node=NodeFactory(team=p["team_a"]),
        episode_started_at=now,
        level=1,
        target_role="leadership",
        target_display="leadership",
        fired_at=now,
    )


def _edge_create(p: People) -> dict[str, Any]:
    return {
        "source": NodeFactory(team=p["team_a"]).slug,
        "target": NodeFactory(team=p["team_b"]).slug,
    }


def _cost_line(p: People) -> Any:
    import datetime as dt

    from reports.models import CostLine

    return CostLine.objects.create(
        node=NodeFactory(team=p["team_a"]), month=dt.date(2026, 3, 1), amount=10, currency="USD"
    )


SPECS: dict[str, Spec] = {
    "teams": Spec(
        make=lambda p: TeamFactory(slug="team-x", name="Team X"),
        lookup=lambda o: o.slug,
        create=lambda p: {"slug": "new-team", "name": "New team"},
        update={"description": "changed"},
        admin_only=True,
    ),
    "periods": Spec(
        make=lambda p: PeriodFactory(name="2027-Q1"),
        lookup=lambda o: o.name,
        create=lambda p: {"name": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"},
        update={"end": "2027-04-30"},
        admin_only=True,
        leadership_writes=True,
    ),
    "objectives": Spec(
        make=lambda p: ObjectiveFactory(team=p["team_a"]),
        lookup=lambda o: o.key,
        create=lambda p: {"title": "Grow", "team": "team-a", "value_at_stake": "10.00"},
        update={"title": "Grow faster"},
    ),
    "nodes": Spec(
        make=lambda p: NodeFactory(team=p["team_a"]),
        lookup=lambda o: o.slug,
        create=lambda p: {"slug": "new-node", "name": "New", "kind": "service", "team": "team-a"},
        update={"name": "Renamed"},
    ),
    "edges": Spec(
        make=lambda p: EdgeFactory(source=NodeFactory(team=p["team_a"])),
        lookup=lambda o: str(o.pk),
        create=_edge_create,
        update={"criticality": "soft"},
    ),
    "escalation-policies": Spec(
        make=lambda p: EscalationPolicyFactory(team=p["team_a"]),
        lookup=lambda o: str(o.pk),
        create=lambda p: {
            "name": "New policy",
            "team": "team-a",
            "levels": [{"after_minutes": 30, "notify_role": "leadership"}],
        },
        update={"description": "changed"},
    ),
    "connectors": Spec(
        make=_connector,
        lookup=lambda o: o.slug,
        create=lambda p: {
            "slug": "snow",
            "name": "ServiceNow",
            "kind": "servicenow",
            "base_url": "https://example.service-now.com",
            "auth": {"type": "basic", "username": "u", "secret": "s3cret"},
        },
        update={"name": "Renamed"},
        admin_only=True,
        admin_only_view=True,
    ),
    "tickets": Spec(
        make=lambda p: TicketFactory(),
        lookup=lambda o: str(o.pk),
        create=lambda p: {"key": "INC1"},
        update={"title": "x"},
        read_only=True,
    ),
    "links": Spec(
        make=_ticket_link,
        lookup=lambda o: str(o.pk),
        create=_link_create,
        update=None,
    ),
    "link-rules": Spec(
        make=_link_rule,
        lookup=lambda o: str(o.pk),
        create=lambda p: {
            "field": "label",
            "pattern": "db",
            "node": NodeFactory(team=p["team_a"]).slug,
        },
        update={"pattern": "db2"},
    ),
    "escalations": Spec(
        make=_escalation,
        lookup=lambda o: str(o.pk),
        create=lambda p: {"level": 1},
        update={"note": "x"},
        read_only=True,
    ),
    "status-updates": Spec(
        make=lambda p: StatusUpdate.objects.create(
            objective=ObjectiveFactory(team=p["team_a"]), rag="amber", summary="slipping"
        ),
        lookup=lambda o: str(o.pk),
        create=lambda p: {
            "objective": ObjectiveFactory(team=p["team_a"]).key,
            "rag": "green",
            "summary": "on track",
        },
        update=None,
    ),
    "costs": Spec(
        make=_cost_line,
        lookup=lambda o: str(o.pk),
        create=lambda p: {
            "node": NodeFactory(team=p["team_a"]).slug,
            "month": "2026-04",
            "amount": "1200.00",
        },
        update={"amount": "1300.00"},
        view_roles=("lead_a", "lead_b", "leadership", "admin"),
    ),
    "sync-runs": Spec(
        make=_sync_run,
        lookup=lambda o: str(o.pk),
        create=lambda p: {"connector": "x"},
        update={"error": "x"},
        read_only=True,
        admin_only_view=True,
    ),
}

ROLES = ["anonymous", "member", "lead_a", "lead_b", "leadership", "admin"]


def expected(role: str, spec: Spec, ok: int) -> int:
    if role == "anonymous":
        return 401
    if spec.read_only:
        return 403
    if spec.leadership_writes and role == "leadership":
        return ok
    if role == "admin" or (role == "lead_a" and not spec.admin_only):
        return ok
    return 403


def test_every_api_resource_has_a_permission_spec() -> None:
    prefixes = {prefix for prefix, _viewset, _basename in router.registry}
    missing = prefixes - set(SPECS)
    assert not missing, f"add a Spec for the new API resources: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(SPECS))
def test_create(resource: str, role: str, client_as: Any, people: People) -> None:
    spec = SPECS[resource]
    response = client_as(role).post(f"/api/{resource}/", spec.create(people), format="json")
    assert response.status_code == expected(role, spec, 201), response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(r for r, s in SPECS.items() if s.update is not None))
def test_update(resource: str, role: str, client_as: Any, people: People) -> None:
    spec = SPECS[resource]
    assert spec.update is not None
    obj = spec.make(people)
    url = f"/api/{resource}/{spec.lookup(obj)}/"
    response = client_as(role).patch(url, spec.update, format="json")
    assert response.status_code == expected(role, spec, 200), response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(SPECS))
def test_delete(resource: str, role: str, client_as: Any, people: People) -> None:
    spec = SPECS[resource]
    obj = spec.make(people)
    response = client_as(role).delete(f"/api/{resource}/{spec.lookup(obj)}/")
    assert response.status_code == expected(role, spec, 204), response.content
    assert type(obj).objects.filter(pk=obj.pk).exists() == (response.status_code != 204)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(SPECS))
def test_read(resource: str, role: str, client_as: Any, people: People) -> None:
    spec = SPECS[resource]
    obj = spec.make(people)
    client = client_as(role)
    want = 401 if role == "anonymous" else 200
    if spec.admin_only_view and role not in ("anonymous", "admin"):
        want = 403
    if spec.view_roles is not None and role != "anonymous" and role not in spec.view_roles:
        want = 403
    assert client.get(f"/api/{resource}/").status_code == want
    assert client.get(f"/api/{resource}/{spec.lookup(obj)}/").status_code == want


# Ownership gaps: claims by team leads, team assignment by leadership.


@pytest.mark.parametrize(
    ("role", "payload", "status"),
    [
        ("lead_a", {"team": "team-a"}, 200),  # claim for a team they lead
        ("lead_a", {"team": "team-b"}, 403),  # not a team they lead
        ("leadership", {"team": "team-b"}, 200),  # assign an owning team to a gap
        ("leadership", {"team": "team-b", "name": "Also renamed"}, 403),  # and nothing else
        ("leadership", {"name": "Renamed"}, 403),
        ("member", {"team": "team-a"}, 403),
    ],
)
def test_unowned_node_claims(
    role: str, payload: dict[str, Any], status: int, client_as: Any, people: People
) -> None:
    node = NodeFactory(team=None)
    response = client_as(role).patch(f"/api/nodes/{node.slug}/", payload, format="json")
    assert response.status_code == status, response.content
    node.refresh_from_db()
    assert (node.team is not None) == (status == 200)


# Leadership authorises resource shifts: it may move an owned item to another team, which
# changes the team and nothing else, and is kept in the item's history.


@pytest.mark.parametrize(
    ("resource", "make", "lookup"),
    [
        ("nodes", lambda p: NodeFactory(team=p["team_a"], name="Ledger"), lambda o: o.slug),
        ("objectives", lambda p: ObjectiveFactory(team=p["team_a"], title="Grow"), lambda o: o.key),
    ],
)
def test_leadership_changes_the_owning_team_and_nothing_else(
    resource: str, make: Any, lookup: Any, client_as: Any, people: People
) -> None:
    item = make(people)
    url = f"/api/{resource}/{lookup(item)}/"
    leadership = client_as("leadership")
    name_field = "name" if resource == "nodes" else "title"

    mixed = leadership.patch(url, {"team": "team-b", name_field: "Renamed"}, format="json")
    assert mixed.status_code == 403, mixed.content
    assert "changes nothing else" in mixed.json()["detail"]
    cleared = leadership.patch(url, {"team": None}, format="json")
    assert cleared.status_code in (400, 403), cleared.content  # a gap is not made by leadership
    item.refresh_from_db()
    assert item.team == people["team_a"]

    moved = leadership.patch(url, {"team": "team-b"}, format="json")
    assert moved.status_code == 200, moved.content
    item.refresh_from_db()
    assert item.team == people["team_b"] and getattr(item, name_field) in ("Ledger", "Grow")
    history = leadership.get(f"{url}history/").json()["results"]
    team_changes = [e for e in history if e["field"] == "team"]
    assert [(e["actor"], e["old_value"], e["new_value"]) for e in team_changes] == [
        (people["leadership"].username, "team-a", "team-b")
    ]


def test_leadership_changes_nothing_but_the_team(client_as: Any, people: People) -> None:
    node = NodeFactory(team=people["team_a"])
    response = client_as("leadership").patch(
        f"/api/nodes/{node.slug}/", {"manual_state": "blocked"}, format="json"
    )
    assert response.status_code == 403
    assert "only assign or change the owning team" in response.json()["detail"]


def test_refusal_says_why(client_as: Any, people: People) -> None:
    node = NodeFactory(team=people["team_a"])
    response = client_as("lead_b").patch(f"/api/nodes/{node.slug}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You may change only the items of a team you lead."}


def test_token_authentication(people: People) -> None:
    from rest_framework.test import APIClient

    from cataligent.api_tokens import api_token_create

    issued = api_token_create(user=people["member"], name="test")
    client = APIClient()
    assert client.get("/api/nodes/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert client.get("/api/nodes/").status_code == 200


@pytest.mark.parametrize("resource", sorted(r for r, s in SPECS.items() if s.update is None))
def test_unchangeable_resources_refuse_updates(
    resource: str, client_as: Any, people: People
) -> None:
    spec = SPECS[resource]
    obj = spec.make(people)
    response = client_as("admin").patch(f"/api/{resource}/{spec.lookup(obj)}/", {}, format="json")
    assert response.status_code == 405


def test_an_objectives_owner_posts_its_status_updates(client_as: Any, people: People) -> None:
    objective = ObjectiveFactory(team=people["team_b"], owner=people["member"])
    payload = {"objective": objective.key, "rag": "red", "summary": "stuck on the core banking API"}
    assert (
        client_as("member").post("/api/status-updates/", payload, format="json").status_code == 201
    )
    other = ObjectiveFactory(team=people["team_b"], owner=people["lead_a"])
    payload["objective"] = other.key
    assert (
        client_as("member").post("/api/status-updates/", payload, format="json").status_code == 403
    )
