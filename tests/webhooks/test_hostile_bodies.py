"""Hostile bodies for the issue 16 sources' webhooks (GitHub, GitLab, Zendesk, JSM
Operations), signed as they should be: each is a 400 naming what is wrong, kept in
quarantine with that reason; never a 500, never a silent drop."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors import gitlab_fake

pytestmark = pytest.mark.django_db

SECRET = "whsec-hostile"
# Nothing listens there: a case that reached the network would fail as unreadable back.
NOWHERE = "https://127.0.0.1:9"
SETTINGS: dict[str, dict[str, str]] = {
    "github": {"base_url": "https://api.github.com", "auth_type": "bearer", "query": "acme/w"},
    "gitlab": {
        "base_url": "https://gitlab.com",
        "auth_type": "bearer",
        "query": gitlab_fake.PROJECT,
    },
    "zendesk": {"base_url": NOWHERE, "auth_type": "basic", "username": "bot@example.com/token"},
    "jsm_ops": {
        "base_url": f"{NOWHERE}/jsm/ops/api/12345678-1234-1234-1234-123456789abc",
        "auth_type": "basic",
        "username": "bot@example.com",
    },
}
ISSUE = {"node_id": "I_1", "number": 1, "state": "open", "created_at": "2026-12-01T10:00:00Z"}
GITLAB_ISSUE = {"id": 5, "iid": 1, "state": "opened", "milestone_id": None}


def _connector(kind: str) -> Connector:
    connector = Connector(slug=f"{kind}-hostile", name=kind, kind=kind, **SETTINGS[kind])
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _post(kind: str, raw: bytes) -> Any:
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post(
        f"/hooks/{kind}-hostile/",
        data=raw,
        content_type="application/json",
        headers={"X-Cataligent-Signature": signature},
    )


CASES = [
    ("github", {"action": "opened", "issue": ["x"]}, "'issue' is a list, not a JSON object"),
    ("github", {"action": "opened", "issue": {**ISSUE, "node_id": 1.5}}, "'node_id'"),
    ("github", {"action": "edited", "issue": {**ISSUE, "state": ["open"]}}, "unknown status"),
    ("github", {"action": "edited", "issue": {**ISSUE, "created_at": 7}}, "'createdAt'"),
    ("github", {"action": "opened", "issue": {**ISSUE, "node_id": float("nan")}}, "'node_id'"),
    ("gitlab", {"object_kind": "issue", "object_attributes": "x"}, "'object_attributes' is a str"),
    (
        "gitlab",
        {"object_kind": "issue", "object_attributes": {**GITLAB_ISSUE, "id": {"a": 1}}},
        "missing or empty 'id'",
    ),
    (
        "gitlab",
        {"object_kind": "issue", "object_attributes": {**GITLAB_ISSUE, "id": "1/../2"}},
        "not a GitLab issue id",
    ),
    ("gitlab", {"object_attributes": GITLAB_ISSUE}, "no 'object_kind'"),
    ("zendesk", {"ticket": "x"}, "'ticket' is a str, not a JSON object"),
    ("zendesk", {"ticket": {"id": [1], "status": "open"}}, "missing or empty 'id'"),
    ("zendesk", {"ticket": {"id": "12ab", "status": "open"}}, "not a Zendesk ticket number"),
    ("zendesk", {"type": "zen:event-type:ticket.status_changed", "detail": []}, "'detail'"),
    ("zendesk", {"type": "zen:event-type:user.created", "detail": {}}, "unsupported Zendesk"),
    ("jsm_ops", {"action": "Close", "alert": {"alertId": 7}}, "has no 'alertId'"),
    ("jsm_ops", {"action": "Close", "alert": {"alertId": "a" * 100_000}}, "URL cannot be sent"),
    ("jsm_ops", {"action": "Close", "alert": {"alertId": "  "}}, "has no 'alertId'"),
]


@pytest.mark.parametrize(("kind", "body", "problem"), CASES)
def test_a_hostile_body_is_a_400_naming_the_problem_and_quarantined(
    kind: str, body: dict[str, Any], problem: str
) -> None:
    _connector(kind)
    response = _post(kind, json.dumps(body).encode())
    assert response.status_code == 400, response.content[:300]
    assert problem in response.json()["detail"]
    assert problem in QuarantinedRecord.objects.get().reason
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_a_number_too_long_to_read_is_a_400_kept_in_quarantine(kind: str) -> None:
    """Valid JSON, but Python reads no integer of more than 4,300 digits (it was a 500)."""
    _connector(kind)
    raw = b'{"ticket": {"id": ' + b"9" * 5000 + b"}}"
    response = _post(kind, raw)
    assert response.status_code == 400, response.content[:300]
    assert "number too long to read" in response.json()["detail"]
    record = QuarantinedRecord.objects.get()
    assert "number too long" in record.reason and record.raw_text.endswith("9}}")
