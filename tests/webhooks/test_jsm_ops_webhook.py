"""/hooks/<slug>/ for a JSM Operations connector: the Webhook integration's body names the
alert, which is read by its id from the (fake) API; JSM signs nothing, so only our own
X-Cataligent-Signature is accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.fakes import Reply
from tests.connectors.jsm_ops_fake import EMAIL, TOKEN, JsmOpsFake, alert

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec-test"
CREATED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def fake() -> Iterator[JsmOpsFake]:
    server = JsmOpsFake([alert(1, CREATED, priority="P1")])
    yield server
    server.close()


def _connector(fake: JsmOpsFake) -> Connector:
    connector = Connector(
        slug="ops-hook", name="JSM Ops", kind="jsm_ops", base_url=fake.api_url, username=EMAIL
    )
    connector.set_secret(TOKEN)
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _body(action: str, alert_id: str) -> bytes:
    """The Webhook integration's body ("Alert action data"): no status, no priority."""
    data: dict[str, Any] = {
        "source": {"name": "", "type": "web"},
        "alert": {
            "updatedAt": 1420452224764002246,
            "tags": ["prod"],
            "message": "Alert 1",
            "username": "ada@acme.example",
            "alertId": alert_id,
            "alias": "alias-1",
            "tinyId": "1",
            "createdAt": 1420452191104,
            "userId": "daed1180-0ce8-438b-8f8e-57e1a5920a2d",
            "entity": "",
        },
        "action": action,
        "integrationId": "37c8f316-17c6-49d7-899b-9c7e540c048d",
        "integrationName": "Cataligent",
    }
    return json.dumps(data).encode()


def _post(body: bytes, header: str = "X-Cataligent-Signature") -> Any:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        "/hooks/ops-hook/", data=body, content_type="application/json", headers={header: signature}
    )


def test_an_action_mirrors_the_alert_as_the_api_has_it(fake: JsmOpsFake) -> None:
    _connector(fake)
    ident = alert(1, CREATED)["id"]
    fake.acknowledge(ident)
    unsigned = Client().post(
        "/hooks/ops-hook/", data=_body("Acknowledge", ident), content_type="application/json"
    )
    assert unsigned.status_code == 401 and not Ticket.objects.exists()

    response = _post(_body("Acknowledge", ident))
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert (ticket.key, ticket.status_category, ticket.priority) == ("ALERT-1", "in_progress", 1)
    assert fake.requests_to(f"/v1/alerts/{ident}")

    fake.close_alert(ident)
    assert _post(_body("Close", ident)).status_code == 200
    assert Ticket.objects.get().status_category == "resolved"

    assert _post(_body("Delete", ident)).json()["status"] == "deleted"
    assert Ticket.objects.get().missing_from_source


def test_an_alert_the_api_cannot_give_is_quarantined_with_the_reason(fake: JsmOpsFake) -> None:
    _connector(fake)
    # The token lost its Operations access since the connector was saved.
    fake.inject(Reply(403, {"message": "Forbidden", "code": 403}))
    response = _post(_body("Create", alert(1, CREATED)["id"]))
    assert response.status_code == 400
    assert "could not be read from JSM" in QuarantinedRecord.objects.get().reason
