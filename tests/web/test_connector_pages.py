"""Connector pages: admins only, secrets never shown, test, sync now, rules with preview."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cataligent.audit import history_for
from cataligent.models import AuditEntry
from integrations.models import Connector, LinkRule
from tests.factories import ConnectorFactory, NodeFactory, TicketFactory

pytestmark = pytest.mark.django_db

FORM = {
    "slug": "snow",
    "name": "ServiceNow",
    "kind": "servicenow",
    "base_url": "https://acme.service-now.com",
    "auth_type": "basic",
    "username": "integration",
    "new_secret": "p4ssw0rd-secret",
    "query": "active=true",
    "poll_interval": "300",
    "enabled": "on",
    "blocking_priority": "2",
    "page_size": "100",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["member", "lead_a", "leadership"])
def test_only_admins(people: Any, role: str) -> None:
    ConnectorFactory(slug="snow")
    client = _client(people[role])
    for url in ["/connectors/", "/connectors/new/", "/connectors/snow/", "/connectors/snow/edit/"]:
        assert client.get(url).status_code == 403, url
    assert client.post("/connectors/snow/sync/").status_code == 403


def test_create_edit_and_the_secret_stays_hidden(people: Any) -> None:
    client = _client(people["admin"])
    response = client.post("/connectors/new/", FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    connector = Connector.objects.get(slug="snow")
    assert connector.get_secret() == "p4ssw0rd-secret"
    for url in ["/connectors/", "/connectors/snow/", "/connectors/snow/edit/"]:
        assert "p4ssw0rd" not in client.get(url).content.decode()
    # A blank secret keeps the stored one.
    client.post("/connectors/snow/edit/", {**FORM, "new_secret": "", "name": "SNOW"})
    connector.refresh_from_db()
    assert (connector.name, connector.get_secret()) == ("SNOW", "p4ssw0rd-secret")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": "http://169.254.169.254/"}, "Refused"),
        ({"new_secret": ""}, "A secret is required"),
        ({"auth_type": "oauth", "username": ""}, "client id"),
        ({"status_map": "{not json"}, "Not valid JSON"),
        ({"status_map": '{"x": "finished"}'}, "use one of open"),
        ({"options": '{"tabel": "incident"}'}, "Unknown for ServiceNow"),
        ({"auth_type": "token"}, "supports"),
        ({"blocker_labels": "[1]"}, "Give a list of labels"),
    ],
)
def test_bad_configuration_is_explained(people: Any, change: dict[str, str], message: str) -> None:
    response = _client(people["admin"]).post("/connectors/new/", {**FORM, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Connector.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_test_connection_and_sync_now(people: Any) -> None:
    from integrations.simulator import make_server

    with make_server("127.0.0.1", 0, tickets=10, jira_issues=0) as server:
        server.start()
        client = _client(people["admin"])
        client.post(
            "/connectors/new/",
            {**FORM, "base_url": server.base_url, "username": "admin", "new_secret": "admin"},
        )
        ok = client.post("/connectors/snow/test/").content.decode()
        assert "✓" in ok
        # Eager in tests: the run has ended by the time "Sync now" answers, so the line
        # says how it went and stops polling.
        done = client.post("/connectors/snow/sync/").content.decode()
        # The active incidents: the demo story's open and resolved ones plus the noise.
        assert "Sync finished" in done and "7 tickets read, 7 new" in done, done
        assert "hx-trigger" not in done
        runs = client.get("/connectors/snow/runs/").content.decode()
    assert "Succeeded" in runs


def test_sync_now_follows_its_run_until_it_ends(people: Any) -> None:
    import datetime as dt
    from urllib.parse import quote

    from django.utils import timezone

    from integrations.models import SyncRun

    connector = ConnectorFactory(slug="snow")
    client = _client(people["admin"])
    asked = timezone.now()

    def status(at: dt.datetime) -> str:
        url = f"/connectors/snow/sync/status/?since={quote(at.isoformat())}"
        return client.get(url).content.decode()

    waiting = status(asked)
    assert "waiting for a worker" in waiting and 'hx-trigger="every 2s"' in waiting
    assert "is a Celery worker running?" in status(asked - dt.timedelta(minutes=5))
    run = SyncRun.objects.create(connector=connector, pages=3, fetched=150, created=20)
    running = status(asked)
    assert "Syncing: page 3, 150 tickets read (20 new" in running and "hx-trigger" in running
    SyncRun.objects.filter(pk=run.pk).update(
        outcome="failed", error="HTTP 401 from the source", finished_at=timezone.now()
    )
    failed = status(asked)
    assert "Sync failed" in failed and "HTTP 401" in failed and "hx-trigger" not in failed
    assert client.get("/connectors/snow/sync/status/?since=yesterday").status_code == 400
    assert _client(people["member"]).get("/connectors/snow/sync/status/?since=x").status_code == 403


def test_link_rule_editor_with_preview(people: Any) -> None:
    connector = ConnectorFactory(slug="snow")
    TicketFactory(connector=connector, key="INC1", ci="core-db")
    node = NodeFactory(slug="core-db")
    client = _client(people["admin"])
    preview = client.get(
        "/connectors/snow/rules/preview/?field=ci&pattern=CORE-DB"
    ).content.decode()
    assert "INC1" in preview
    bad = client.get("/connectors/snow/rules/preview/?field=title&pattern=(").content.decode()
    assert "Not a valid regular expression" in bad
    client.post("/connectors/snow/rules/", {"field": "ci", "pattern": "core-db", "node": "core-db"})
    rule = LinkRule.objects.get()
    assert rule.node == node and rule.links.count() == 1
    page = client.get("/connectors/snow/").content.decode()
    assert "core-db" in page
    # Deleting asks first, with what goes with the rule (issue 18), and writes nothing yet.
    delete_url = f"/connectors/snow/rules/{rule.pk}/delete/"
    assert f'href="{delete_url}"' in page and f'action="{delete_url}"' not in page
    confirm = client.get(delete_url).content.decode()
    assert "Delete this link rule?" in confirm and "<strong>1 ticket link</strong>" in confirm
    assert f'action="{delete_url}"' in confirm
    assert LinkRule.objects.exists()
    client.post(delete_url)
    assert not LinkRule.objects.exists()
    refused = client.post(
        "/connectors/snow/rules/", {"field": "ci", "pattern": "x", "node": "ghost"}, follow=True
    )
    assert "No node" in refused.content.decode()


def test_a_blank_page_size_takes_the_tools_default(people: Any) -> None:
    client = _client(people["admin"])
    response = client.post("/connectors/new/", {**FORM, "page_size": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Connector.objects.get(slug="snow").page_size == 1000
    # Blanked on a Jira connector later: Jira's default, not ServiceNow's.
    Connector.objects.filter(slug="snow").update(kind="jira", username="a@example.com")
    response = client.post(
        "/connectors/snow/edit/",
        {**FORM, "kind": "jira", "username": "a@example.com", "new_secret": "", "page_size": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Connector.objects.get(slug="snow").page_size == 100


def test_a_connector_made_in_code_gets_its_kinds_page_size() -> None:
    assert ConnectorFactory(kind="servicenow").page_size == 1000
    assert ConnectorFactory(kind="rt").page_size == 100
    assert ConnectorFactory(kind="jira", page_size=30).page_size == 30


def _changes(connector: Connector) -> list[tuple[str, Any, Any]]:
    """The connector's recorded field changes, oldest first: (field, old, new)."""
    return [
        (entry.field, entry.old_value, entry.new_value)
        for entry in reversed(history_for(connector).filter(action=AuditEntry.Action.UPDATE))
    ]


def test_an_edit_is_audited_field_by_field_and_secrets_only_as_changed(people: Any) -> None:
    """The edit form hands the service its instance with the new values already on it:
    what changed is judged against what was stored."""
    client = _client(people["admin"])
    client.post("/connectors/new/", {**FORM, "new_webhook_secret": "hook-secret-1"})
    connector = Connector.objects.get(slug="snow")
    created = _changes(connector)
    assert ("name", None, "ServiceNow") in created
    assert ("secret", None, "(changed)") in created
    assert ("webhook_secret", None, "(changed)") in created

    edit = {**FORM, "new_secret": "", "name": "SNOW", "blocking_priority": "3"}
    response = client.post("/connectors/snow/edit/", edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(_changes(connector)[len(created) :]) == [
        ("blocking_priority", 2, 3),
        ("name", "ServiceNow", "SNOW"),
    ]
    # A new secret is recorded as changed, never by its value; nothing else changed.
    client.post("/connectors/snow/edit/", {**edit, "new_secret": "second-secret-2"})
    assert _changes(connector)[len(created) + 2 :] == [("secret", None, "(changed)")]
    stored = json.dumps(list(AuditEntry.objects.values_list("old_value", "new_value")))
    for secret in ("p4ssw0rd", "second-secret", "hook-secret"):
        assert secret not in stored
