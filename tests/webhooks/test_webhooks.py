"""/hooks/<slug>/: signatures, replays, malformed bodies, and the three push shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "connectors" / "fixtures"
SECRET = "whsec-test"


def _connector(kind: str = "jira", **fields: Any) -> Connector:
    connector = Connector(
        slug=f"{kind}-hook",
        name=kind,
        kind=kind,
        base_url="https://example.atlassian.net"
        if kind == "jira"
        else "https://example.service-now.com",
        username="bot@example.com",
        **fields,
    )
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _post(slug: str, body: bytes | str, *, secret: str = SECRET, **headers: str) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post(
        f"/hooks/{slug}/",
        data=raw,
        content_type="application/json",
        headers={"X-Hub-Signature": signature, **headers},
    )


def _jira_issue() -> dict[str, Any]:
    body = json.loads((FIXTURES / "jira" / "search_jql_page_1.json").read_text())["body"]
    return body["issues"][0]


def test_jira_issue_created_updated_and_deleted() -> None:
    _connector("jira")
    issue = _jira_issue()
    event = {"webhookEvent": "jira:issue_created", "issue": issue}
    response = _post("jira-hook", json.dumps(event))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "created"
    ticket = Ticket.objects.get()
    assert ticket.key == issue["key"]

    issue["fields"]["summary"] = "Changed title"
    issue["fields"]["updated"] = "2030-01-01T10:00:00.000+0100"
    response = _post(
        "jira-hook", json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue})
    )
    assert response.json()["status"] == "updated"
    ticket.refresh_from_db()
    assert ticket.title == "Changed title"

    response = _post(
        "jira-hook", json.dumps({"webhookEvent": "jira:issue_deleted", "issue": issue})
    )
    assert response.json() == {"status": "deleted", "tickets": 1}
    ticket.refresh_from_db()
    assert ticket.missing_from_source and not ticket.is_blocking


def test_servicenow_outbound_message() -> None:
    _connector("servicenow", auth_type="basic")
    record = json.loads((FIXTURES / "servicenow" / "incident_page_1.json").read_text())["result"][0]
    response = _post("servicenow-hook", json.dumps({"result": record}))
    assert response.status_code == 200, response.json()
    assert Ticket.objects.get().key == "INC0000060"


def test_generic_shape_links_and_blocks() -> None:
    from integrations.models import LinkRule

    node = NodeFactory(slug="core-db")
    LinkRule.objects.create(field="ci", pattern="core-db", node=node)
    _connector("rt", auth_type="token")
    payload = {
        "external_id": "77",
        "key": "RT#77",
        "title": "Database refuses connections",
        "status_category": "open",
        "priority": 1,
        "ci": "core-db",
        "updated_at": "2026-11-26T09:00:00Z",
    }
    response = _post("rt-hook", json.dumps(payload))
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert ticket.is_blocking
    assert ticket.links.get().node == node


def test_bad_signature_is_401_and_writes_nothing() -> None:
    _connector("jira")
    body = json.dumps({"webhookEvent": "jira:issue_created", "issue": _jira_issue()})
    assert _post("jira-hook", body, secret="wrong").status_code == 401
    response = Client().post("/hooks/jira-hook/", data=body, content_type="application/json")
    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_replayed_delivery_is_applied_once() -> None:
    _connector("jira")
    body = json.dumps({"webhookEvent": "jira:issue_created", "issue": _jira_issue()})
    headers = {"X-Atlassian-Webhook-Identifier": "delivery-1"}
    assert _post("jira-hook", body, **headers).json()["status"] == "created"
    assert "duplicate" in _post("jira-hook", body, **headers).json()["status"]
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"webhookEvent": "jira:issue_created"}', "'issue' is missing"),
        ('{"webhookEvent": "jira:worklog_updated", "issue": {}}', "unsupported Jira event"),
        (
            '{"status_category": "open", "priority": 9, "external_id": "1", '
            '"updated_at": "2026-01-01T00:00:00Z"}',
            "priority",
        ),
        (
            '{"status_category": "done", "priority": 1, "external_id": "1", "updated_at": "x"}',
            "status_category",
        ),
        (
            '{"status_category": "open", "priority": 1, "external_id": "1", '
            '"updated_at": "yesterday"}',
            "updated_at",
        ),
        ("[1, 2]", "JSON object"),
    ],
)
def test_malformed_bodies_are_400_with_the_reason(body: str, reason: str) -> None:
    _connector("jira")
    response = _post("jira-hook", body)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_malformed_ticket_is_quarantined_not_dropped() -> None:
    _connector("jira")
    _post("jira-hook", '{"webhookEvent": "jira:issue_created", "issue": {"id": "9", "key": "X-1"}}')
    record = QuarantinedRecord.objects.get()
    assert record.external_id == "9"
    assert record.reason.startswith("webhook:")


def test_unknown_connector_and_webhooks_off() -> None:
    assert _post("nope", "{}").status_code == 404
    connector = _connector("jira")
    connector.set_webhook_secret("")
    connector.save()
    assert _post("jira-hook", "{}").status_code == 403
    assert Client().get("/hooks/jira-hook/").status_code == 405


def test_unreadable_webhook_secret_is_a_503_not_a_crash(settings: Any) -> None:
    from cryptography.fernet import Fernet

    _connector("jira")
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    response = _post("jira-hook", "{}")
    assert response.status_code == 503
    assert "cannot be read" in response.json()["detail"]


def test_nul_characters_and_lone_surrogates_are_cleaned_not_a_500() -> None:
    """PostgreSQL stores neither U+0000 nor a lone surrogate; the ticket is kept, cleaned."""
    _connector("rt", auth_type="token")
    body = (
        '{"external_id": "78", "key": "RT#78", "title": "Printer\\u0000 on fire \\ud800",'
        ' "status_category": "open", "priority": 2, "labels": ["ha\\u0000rdware"],'
        ' "updated_at": "2026-11-26T09:00:00Z"}'
    )
    response = _post("rt-hook", body)
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert ticket.title == "Printer on fire \ufffd"
    assert ticket.labels == ["hardware"]
    assert ticket.raw["title"] == "Printer on fire \ufffd"

    # A record that cannot be read at all is quarantined, NULs and all.
    response = _post(
        "rt-hook",
        '{"external_id": "7\\u00009", "title": "no status\\u0000", "updated_at": "x"}',
    )
    assert response.status_code == 400, response.json()
    record = QuarantinedRecord.objects.get()
    assert record.external_id == "79"
    assert record.raw["title"] == "no status"


def test_a_late_delivery_of_an_older_version_does_not_overwrite_a_newer_one() -> None:
    _connector("rt", auth_type="token")
    ticket = {"external_id": "80", "key": "RT#80", "status_category": "open", "priority": 2}
    newer = {**ticket, "title": "Newer", "updated_at": "2026-11-26T10:00:00Z"}
    older = {**ticket, "title": "Older", "updated_at": "2026-11-26T09:00:00Z"}
    assert _post("rt-hook", json.dumps(newer)).json()["status"] == "created"
    response = _post("rt-hook", json.dumps(older))
    assert response.status_code == 200 and response.json()["status"] == "unchanged"
    assert Ticket.objects.get().title == "Newer"


def test_what_the_mirror_cannot_hold_is_quarantined_not_a_500() -> None:
    _connector("rt", auth_type="token")
    base = {"key": "RT#81", "status_category": "open", "priority": 2}
    stamp = {"updated_at": "2026-11-26T09:00:00Z"}
    too_long = _post("rt-hook", json.dumps({**base, **stamp, "external_id": "9" * 201}))
    assert too_long.status_code == 400 and "longer than 200" in too_long.json()["detail"]
    huge = {**base, **stamp, "external_id": "81", "reassignment_count": 2**40}
    response = _post("rt-hook", json.dumps(huge))
    assert response.status_code == 400 and "out of range" in response.json()["detail"]
    assert QuarantinedRecord.objects.count() == 2
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("shape", "stamp"),
    [
        ("generic", "9999-12-31T23:59:59-14:00"),  # past year 9999 in UTC: OverflowError
        ("generic", "9999-12-31T23:59:59Z"),  # a datetime, but no zone can show it
        ("jira", "9999-12-31T23:59:59.000-1400"),
    ],
)
def test_a_time_beyond_what_can_be_stored_is_quarantined_with_the_reason(
    shape: str, stamp: str
) -> None:
    if shape == "generic":
        _connector("rt", auth_type="token")
        body = {"external_id": "82", "status_category": "open", "priority": 2, "updated_at": stamp}
        response = _post("rt-hook", json.dumps(body))
    else:
        _connector("jira")
        issue = _jira_issue()
        issue["fields"]["updated"] = stamp
        response = _post(
            "jira-hook", json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue})
        )
    assert response.status_code == 400, response.json()
    assert "outside the years 1900-8999" in response.json()["detail"]
    quarantined = QuarantinedRecord.objects.get()
    assert "outside the years 1900-8999" in quarantined.reason
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_push_goes_through_the_sync_s_ingest_step() -> None:
    """The same step as a sync page: a quarantined copy of the ticket is resolved, and a
    change of a ticket linked to a node (not only a new link) asks for a recompute."""
    from dependencies.models import ImpactState
    from integrations.models import LinkRule

    node = NodeFactory(slug="core-db")
    LinkRule.objects.create(field="ci", pattern="core-db", node=node)
    connector = _connector("rt", auth_type="token")
    QuarantinedRecord.objects.create(connector=connector, external_id="77", reason="garbled")
    payload = {
        "external_id": "77",
        "title": "Database refuses connections",
        "status_category": "open",
        "priority": 1,
        "ci": "core-db",
        "updated_at": "2026-11-26T09:00:00Z",
    }
    assert _post("rt-hook", json.dumps(payload)).json()["status"] == "created"
    assert QuarantinedRecord.objects.get().resolved_at is not None
    requested = ImpactState.objects.get_or_create(pk=1)[0].requested
    payload.update(priority=4, updated_at="2026-11-26T10:00:00Z")  # link unchanged
    assert _post("rt-hook", json.dumps(payload)).json()["status"] == "updated"
    assert ImpactState.objects.get(pk=1).requested > requested


def test_a_push_to_a_connector_that_cannot_be_built_reads_the_generic_shape_only() -> None:
    connector = _connector("jira")
    connector.set_secret("")
    connector.save()
    generic = {
        "external_id": "5",
        "status_category": "open",
        "priority": 3,
        "updated_at": "2026-11-26T09:00:00Z",
    }
    assert _post("jira-hook", json.dumps(generic)).status_code == 200
    event = {"webhookEvent": "jira:issue_created", "issue": _jira_issue()}
    response = _post("jira-hook", json.dumps(event))
    assert response.status_code == 400 and "misconfigured" in response.json()["detail"]


def test_pushed_sla_results_are_mirrored_and_a_bad_one_is_quarantined() -> None:
    _connector("servicenow", auth_type="basic")
    record = json.loads((FIXTURES / "servicenow" / "incident_page_1.json").read_text())["result"][0]
    breached = {**record, "made_sla": "false", "reopen_count": "1"}
    assert _post("servicenow-hook", json.dumps({"result": breached})).status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.sla_breached, ticket.reopen_count) == (True, 1)

    _connector("rt", auth_type="token")
    generic = {
        "external_id": "77",
        "status_category": "resolved",
        "priority": 2,
        "updated_at": "2026-11-26T09:00:00Z",
        "resolved_at": "2026-11-26T09:00:00Z",
        "sla_breached": False,
        "due_at": "2026-11-26T12:00:00Z",
    }
    assert _post("rt-hook", json.dumps(generic)).status_code == 200
    pushed = Ticket.objects.get(connector__slug="rt-hook")
    assert pushed.sla_breached is False and pushed.due_at.isoformat() == "2026-11-26T12:00:00+00:00"

    response = _post("rt-hook", json.dumps({**generic, "external_id": "78", "sla_breached": "no"}))
    assert response.status_code == 400 and "sla_breached" in json.dumps(response.json())
    assert QuarantinedRecord.objects.get(external_id="78").reason.count("sla_breached") == 1


# --- PagerDuty v3: X-PagerDuty-Signature ---------------------------------------------------


def _pagerduty_event() -> bytes:
    incident = {
        "id": "Q000042",
        "type": "incident",
        "html_url": "https://acme.pagerduty.com/incidents/Q000042",
        "number": 42,
        "status": "triggered",
        "title": "Checkout fails",
        "created_at": "2026-12-01T10:00:00Z",
        "service": {"id": "PSVC001", "type": "service_reference", "summary": "Payments API"},
        "assignees": [],
        "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Payments"}],
        "priority": None,
        "urgency": "high",
    }
    event = {
        "event_type": "incident.triggered",
        "occurred_at": "2026-12-01T10:00:01Z",
        "data": incident,
    }
    return json.dumps({"event": event}).encode()


def _pd_post(body: bytes, signature: str | None) -> Any:
    headers = {} if signature is None else {"X-PagerDuty-Signature": signature}
    return Client().post(
        "/hooks/pagerduty-hook/", data=body, content_type="application/json", headers=headers
    )


def _v1(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_pagerduty_signature_valid_wrong_and_missing() -> None:
    _connector("pagerduty", auth_type="token")
    body = _pagerduty_event()
    assert _pd_post(body, _v1(body, "wrong")).status_code == 401
    assert _pd_post(body, None).status_code == 401
    assert _pd_post(body, "sha256=" + _v1(body)[3:]).status_code == 401  # not v1
    assert not Ticket.objects.exists()

    # During a secret rotation PagerDuty sends several; one matching is enough.
    response = _pd_post(body, f"{_v1(body, 'old-secret')},{_v1(body)}")
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert (ticket.key, ticket.status_category, ticket.priority) == ("PD-42", "open", 2)
    assert ticket.assignment_group == "Payments"
