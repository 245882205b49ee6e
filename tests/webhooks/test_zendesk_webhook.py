"""Zendesk webhooks through /hooks/<slug>/: X-Zendesk-Webhook-Signature, retries, a trigger's
body and event subscriptions read back from the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.fakes import Reply
from tests.connectors.zendesk_fake import EMAIL as ZENDESK_EMAIL
from tests.connectors.zendesk_fake import TOKEN as ZENDESK_TOKEN
from tests.connectors.zendesk_fake import ZendeskFake
from tests.connectors.zendesk_fake import ticket as zendesk_ticket

pytestmark = pytest.mark.django_db

SECRET = "whsec-test"


def _zendesk_connector() -> Connector:
    connector = Connector(
        slug="zendesk-hook",
        name="Zendesk",
        kind="zendesk",
        base_url="https://acme.zendesk.com",
        username="bot@example.com/token",
    )
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _zendesk_body(status: str = "open") -> bytes:
    # A trigger's JSON body (README, "Webhooks"), as its placeholders render it.
    ticket = {
        "id": 35436,
        "subject": "Help, my printer is on fire!",
        "status": status,
        "priority": "high",
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:05:00Z",
        "tags": ["enterprise"],
        "group": {"name": "Support"},
        "assignee": {"name": "Ada Lovelace"},
    }
    return json.dumps({"ticket": ticket}).encode()


def _zd_post(body: bytes, signature: str | None, timestamp: str = "2026-12-01T10:05:01Z") -> Any:
    headers = {"X-Zendesk-Webhook-Signature-Timestamp": timestamp}
    if signature is not None:
        headers["X-Zendesk-Webhook-Signature"] = signature
    return Client().post(
        "/hooks/zendesk-hook/", data=body, content_type="application/json", headers=headers
    )


def _zd_signature(
    body: bytes, timestamp: str = "2026-12-01T10:05:01Z", secret: str = SECRET
) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_zendesk_signature_valid_wrong_and_missing() -> None:
    _zendesk_connector()
    body = _zendesk_body()
    assert _zd_post(body, _zd_signature(body, secret="wrong")).status_code == 401
    assert _zd_post(body, None).status_code == 401
    # Signed over another timestamp than the one sent: a replayed body with a new stamp.
    assert _zd_post(body, _zd_signature(body, "2026-12-01T09:00:00Z")).status_code == 401
    assert _zd_post(body, _zd_signature(body), timestamp="").status_code == 401
    assert not Ticket.objects.exists()

    response = _zd_post(body, _zd_signature(body))
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert (ticket.key, ticket.status_category, ticket.priority) == ("ZD-35436", "open", 2)
    assert (ticket.assignment_group, ticket.assignee) == ("Support", "Ada Lovelace")
    assert ticket.url == "https://acme.zendesk.com/agent/tickets/35436"

    deleted = _zendesk_body(status="deleted")
    response = _zd_post(deleted, _zd_signature(deleted))
    assert response.json() == {"status": "deleted", "tickets": 1}
    assert Ticket.objects.get().missing_from_source


def test_a_zendesk_retry_is_applied_once() -> None:
    _zendesk_connector()
    body = _zendesk_body()
    headers = {
        "X-Zendesk-Webhook-Signature": _zd_signature(body),
        "X-Zendesk-Webhook-Signature-Timestamp": "2026-12-01T10:05:01Z",
        "X-Zendesk-Webhook-Invocation-Id": "8350205315",
    }
    for expected in ("created", "duplicate delivery, already applied"):
        response = Client().post(
            "/hooks/zendesk-hook/", data=body, content_type="application/json", headers=headers
        )
        assert response.json()["status"] == expected


def test_a_zendesk_event_is_read_back_from_the_api() -> None:
    fake = ZendeskFake([zendesk_ticket(35436, datetime.now(UTC) - timedelta(hours=1))])
    try:
        connector = _zendesk_connector()
        connector.base_url = fake.base_url
        connector.username = f"{ZENDESK_EMAIL}/token"
        connector.set_secret(ZENDESK_TOKEN)
        connector.save()
        event = {
            "type": "zen:event-type:ticket.status_changed",
            "subject": "zen:ticket:35436",
            "time": "2026-12-01T10:05:00Z",
            "detail": {"id": "35436", "status": "OPEN", "assignee_id": "9001"},
            "event": {"current": "OPEN", "previous": "NEW"},
        }
        body = json.dumps(event).encode()
        response = _zd_post(body, _zd_signature(body))
        assert response.status_code == 200, response.json()
        ticket = Ticket.objects.get()
        assert (ticket.key, ticket.assignee, ticket.assignment_group) == (
            "ZD-35436",
            "Ada Lovelace",
            "Payments",
        )
        # Zendesk refusing the read back: quarantined with the reason, not a 500.
        fake.inject(Reply(401, {"error": "Couldn't authenticate you"}))
        response = _zd_post(body, _zd_signature(body))
        assert response.status_code == 400
        assert "could not be read back" in QuarantinedRecord.objects.get().reason
    finally:
        fake.close()
