"""Connectors in the API: secrets write-only and encrypted, URLs checked, test and preview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integrations.models import Connector, LinkRule
from tests.factories import ConnectorFactory, NodeFactory, TicketFactory

PAYLOAD = {
    "slug": "snow",
    "name": "ServiceNow",
    "kind": "servicenow",
    "base_url": "https://example.service-now.com/",
    "auth": {"type": "basic", "username": "integration", "secret": "hunter2-very-secret"},
    "query": "active=true",
}


JSM_OPS_URL = "https://api.atlassian.com/jsm/ops/api/3f5e2a9c-1b7d-4c8e-9a01-23456789abcd"


@pytest.fixture
def admin(client_as: Any) -> Any:
    return client_as("admin")


def test_secret_is_write_only_and_encrypted(admin: Any) -> None:
    response = admin.post("/api/connectors/", PAYLOAD, format="json")
    assert response.status_code == 201, response.json()
    assert "hunter2" not in json.dumps(response.json())
    assert response.json()["auth"] == {
        "type": "basic",
        "username": "integration",
        "has_secret": True,
    }
    assert "hunter2" not in json.dumps(admin.get("/api/connectors/snow/").json())
    stored = Connector.objects.get(slug="snow")
    assert "hunter2" not in stored.secret_encrypted
    assert stored.get_secret() == "hunter2-very-secret"
    assert stored.base_url == "https://example.service-now.com"
    history = admin.get("/api/connectors/").json()["results"][0]
    assert "secret" not in history


def test_secret_change_is_audited_without_the_value(admin: Any) -> None:
    from cataligent.models import AuditEntry

    admin.post("/api/connectors/", PAYLOAD, format="json")
    admin.patch(
        "/api/connectors/snow/", {"auth": {"type": "basic", "secret": "new-one"}}, format="json"
    )
    entry = AuditEntry.objects.filter(field="secret").first()  # newest first
    assert entry.new_value == "(changed)"
    assert "new-one" not in json.dumps(list(AuditEntry.objects.values("old_value", "new_value")))
    assert Connector.objects.get().get_secret() == "new-one"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base_url": "http://169.254.169.254/latest"}, "base_url"),
        ({"base_url": "http://metadata.google.internal/"}, "base_url"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"base_url": "https://user:pw@example.com"}, "base_url"),
        ({"kind": "remedy"}, "kind"),
        ({"blocking_priority": 9}, "blocking_priority"),
        ({"status_map": {"7": "finished"}}, "status_map"),
        ({"priority_map": {"P1": 0}}, "priority_map"),
        ({"auth": {"type": "token", "secret": "x"}}, "auth"),
        ({"auth": {"type": "basic", "username": "u"}}, "auth"),
        ({"auth": {"type": "oauth", "secret": "client-secret"}}, "auth"),  # no client id
        ({"kind": "jira", "auth": {"type": "oauth", "username": "c", "secret": "s"}}, "auth"),
        ({"options": {"tabel": "incident"}}, "options"),
        ({"poll_interval": 1}, "poll_interval"),
        ({"kind": "jsm_ops"}, "base_url"),  # no /jsm/ops/api/<cloud id>
        # What only the connector class knows, refused as the connector form refuses it.
        ({"kind": "github", "auth": {"type": "bearer", "secret": "t"}}, "query"),  # not owner/name
        ({"options": {"table": "incidents"}}, "options"),
        ({"options": {"sla_source": "both"}}, "options"),
        ({"kind": "rt", "options": {"time_zone": "Mars/Olympus"}}, "options"),
        (
            {
                "kind": "jsm_ops",
                "base_url": JSM_OPS_URL,
                "auth": {"type": "basic", "username": " ", "secret": "api-token"},
            },
            "auth",  # no account email
        ),
    ],
)
def test_bad_connector_input(admin: Any, change: dict[str, Any], field: str) -> None:
    response = admin.post("/api/connectors/", {**PAYLOAD, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Connector.objects.exists()


def test_a_jsm_operations_connector_is_saved_with_its_cloud_id(admin: Any) -> None:
    auth = {"type": "basic", "username": "ops-bot@acme.example", "secret": "api-token"}
    payload = {**PAYLOAD, "kind": "jsm_ops", "base_url": JSM_OPS_URL, "auth": auth, "query": ""}
    response = admin.post("/api/connectors/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert Connector.objects.get().page_size == 100


def test_servicenow_oauth_client_credentials(admin: Any) -> None:
    auth = {"type": "oauth", "username": "client-id", "secret": "client-secret"}
    response = admin.post("/api/connectors/", {**PAYLOAD, "auth": auth}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["auth"] == {"type": "oauth", "username": "client-id", "has_secret": True}
    assert Connector.objects.get().get_secret() == "client-secret"


def test_private_addresses_need_the_setting(admin: Any, settings: Any) -> None:
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = False
    response = admin.post(
        "/api/connectors/", {**PAYLOAD, "base_url": "http://10.1.2.3"}, format="json"
    )
    assert response.status_code == 400
    assert "CONNECTOR_ALLOW_PRIVATE_NETWORKS" in str(response.json()["base_url"])
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    response = admin.post(
        "/api/connectors/", {**PAYLOAD, "base_url": "http://10.1.2.3"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_test_connection_against_the_simulator(client_as: Any) -> None:
    from integrations.simulator import make_server

    with make_server("127.0.0.1", 0, tickets=5, jira_issues=0) as server:
        server.start()
        admin = client_as("admin")
        auth = {"type": "basic", "username": "admin", "secret": "admin"}
        admin.post(
            "/api/connectors/",
            {**PAYLOAD, "base_url": server.base_url, "auth": auth},
            format="json",
        )
        ok = admin.post("/api/connectors/snow/test/").json()
        assert ok["ok"] is True, ok
        admin.patch(
            "/api/connectors/snow/", {"auth": {"type": "basic", "secret": "wrong"}}, format="json"
        )
        bad = admin.post("/api/connectors/snow/test/").json()
    assert bad["ok"] is False
    assert bad["permanent"] is True


def test_link_rule_preview_and_bad_regex(admin: Any) -> None:
    TicketFactory(key="INC1", ci="core-db", title="Database down")
    TicketFactory(key="INC2", ci="web", title="Slow pages")
    matched = admin.get("/api/link-rules/preview/?field=ci&pattern=CORE-DB").json()
    assert [t["key"] for t in matched] == ["INC1"]
    by_title = admin.get("/api/link-rules/preview/?field=title&pattern=slow|down").json()
    assert {t["key"] for t in by_title} == {"INC1", "INC2"}
    bad = admin.get("/api/link-rules/preview/?field=title&pattern=(unclosed")
    assert bad.status_code == 400 and "pattern" in bad.json()
    node = NodeFactory(slug="db")
    response = admin.post(
        "/api/link-rules/", {"field": "title", "pattern": "(", "node": node.slug}, format="json"
    )
    assert response.status_code == 400 and "pattern" in response.json()


def test_saving_a_rule_links_existing_tickets(admin: Any) -> None:
    ticket = TicketFactory(key="INC1", ci="core-db")
    node = NodeFactory(slug="db")
    response = admin.post(
        "/api/link-rules/", {"field": "ci", "pattern": "core-db", "node": "db"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert ticket.links.get().node == node
    admin.delete(f"/api/link-rules/{LinkRule.objects.get().pk}/")
    assert not ticket.links.exists()


def test_tickets_are_read_by_everyone_and_filtered(client_as: Any) -> None:
    TicketFactory(key="INC1", is_blocking=True)
    TicketFactory(key="INC2", is_blocking=False, status_category="resolved")
    member = client_as("member")
    blocking = member.get("/api/tickets/?is_blocking=true").json()
    assert [t["key"] for t in blocking["results"]] == ["INC1"]
    assert member.post("/api/tickets/", {}, format="json").status_code == 403


def test_a_global_rule_relinks_each_connector_with_its_own_rules(admin: Any) -> None:
    """Saving a rule for every connector re-applies the rules connector by connector: a rule
    scoped to connector A must not link B's tickets."""
    a, b = ConnectorFactory(slug="a"), ConnectorFactory(slug="b")
    in_a = TicketFactory(connector=a, key="INC1", ci="core-db", title="Database down")
    in_b = TicketFactory(connector=b, key="INC2", ci="core-db", title="Database down")
    NodeFactory(slug="db")
    NodeFactory(slug="outage")
    scoped = {"field": "ci", "pattern": "core-db", "node": "db", "connector": "a"}
    assert admin.post("/api/link-rules/", scoped, format="json").status_code == 201
    everywhere = {"field": "title", "pattern": "down", "node": "outage"}
    assert admin.post("/api/link-rules/", everywhere, format="json").status_code == 201
    assert {link.node.slug for link in in_a.links.all()} == {"db", "outage"}
    assert {link.node.slug for link in in_b.links.all()} == {"outage"}

    # Moving the scoped rule from A to B relinks both connectors.
    rule = LinkRule.objects.get(node__slug="db")
    response = admin.patch(f"/api/link-rules/{rule.pk}/", {"connector": "b"}, format="json")
    assert response.status_code == 200, response.json()
    assert {link.node.slug for link in in_a.links.all()} == {"outage"}
    assert {link.node.slug for link in in_b.links.all()} == {"db", "outage"}


@pytest.mark.parametrize(
    ("kind", "extra", "page_size"),
    [
        ("servicenow", {}, 1000),
        ("jira", {"auth": {"type": "basic", "username": "a@example.com", "secret": "t"}}, 100),
        ("rt", {"auth": {"type": "token", "secret": "t"}}, 100),
    ],
)
def test_page_size_defaults_to_what_the_tool_serves(
    admin: Any, kind: str, extra: dict[str, Any], page_size: int
) -> None:
    response = admin.post("/api/connectors/", {**PAYLOAD, "kind": kind, **extra}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["page_size"] == page_size
    assert Connector.objects.get(slug="snow").page_size == page_size


def test_a_given_page_size_is_kept_and_zero_is_refused(admin: Any) -> None:
    response = admin.post("/api/connectors/", {**PAYLOAD, "page_size": 250}, format="json")
    assert response.json()["page_size"] == 250
    response = admin.patch("/api/connectors/snow/", {"page_size": 0}, format="json")
    assert response.status_code == 400
    assert "page_size" in response.json()
    assert Connector.objects.get(slug="snow").page_size == 250


@pytest.mark.django_db(transaction=True)
def test_test_connection_records_what_rt_showed_about_its_zone(client_as: Any) -> None:
    """An RT user without a zone of its own: the test finds RT's offset and records it on the
    connector, audited with the admin who asked (integrations.services)."""
    from cataligent.audit import history_for
    from tests.connectors.fakes import RTFake, load_fixture

    fake = RTFake(
        load_fixture("rt", "tickets_equal_timestamps")["items"],
        time_zone="",
        server_time_zone="Asia/Kolkata",
    )
    try:
        admin = client_as("admin")
        auth = {"type": "token", "username": "cataligent", "secret": fake_token(fake)}
        created = admin.post(
            "/api/connectors/",
            {"slug": "rt", "name": "RT", "kind": "rt", "base_url": fake.base_url, "auth": auth},
            format="json",
        )
        assert created.status_code == 201, created.json()
        ok = admin.post("/api/connectors/rt/test/").json()
    finally:
        fake.close()
    assert ok["ok"] is True and "UTC+05:30" in ok["message"], ok
    connector = Connector.objects.get(slug="rt")
    assert connector.options == {"time_zone_found": "+05:30"}
    found = [e for e in history_for(connector) if e.new_value == {"time_zone_found": "+05:30"}]
    (entry,) = found
    assert (entry.field, entry.old_value) == ("options", {})
    assert entry.actor is not None and entry.actor.username == "admin"


def fake_token(fake: Any) -> str:
    return next(a for a in fake.accepted if a.startswith("token ")).removeprefix("token ")
