"""The PagerDuty connector on its own, against the fake over real HTTP: the mapping, the
options, the connection check and the v3 webhook envelope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors import ConfigurationError, ConnectorConfig, connector_for
from integrations.connectors.errors import AuthenticationError, RecordRejected
from integrations.connectors.pagerduty import PagerDutyConnector
from integrations.connectors.tickets import NormalizedTicket, Rejected

from .pagerduty_fake import TOKEN, PagerDutyFake, incident

CREATED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


@pytest.fixture
def fake() -> Iterator[PagerDutyFake]:
    server = PagerDutyFake(
        [
            incident(1, CREATED, status="acknowledged", priority="P1"),
            incident(2, CREATED, status="triggered", priority=None, urgency="low"),
        ]
    )
    yield server
    server.close()


def _connector(fake: PagerDutyFake, **overrides: Any) -> PagerDutyConnector:
    values: dict[str, Any] = {
        "kind": "pagerduty",
        "base_url": fake.base_url,
        "auth_type": "token",
        "secret": TOKEN,
        "allow_private_networks": True,
        **overrides,
    }
    connector = connector_for(ConnectorConfig(**values))
    assert isinstance(connector, PagerDutyConnector)
    return connector


def _tickets(connector: PagerDutyConnector) -> dict[str, NormalizedTicket]:
    return {t.key: t for page in connector.fetch_pages(None) for t in page.tickets}


def test_incidents_map_to_tickets(fake: PagerDutyFake) -> None:
    with _connector(fake) as connector:
        tickets = _tickets(connector)
    one, two = tickets["PD-1"], tickets["PD-2"]
    assert (one.external_id, one.status_category, one.priority) == ("Q000001", "in_progress", 1)
    assert (one.assignee, one.assignment_group, one.components) == (
        "Ada Lovelace",
        "Payments",
        ("Payments API",),
    )
    assert one.url == "https://acme.pagerduty.com/incidents/Q000001"
    assert one.opened_at == CREATED and one.resolved_at is None
    assert (two.status_category, two.priority) == ("open", 4)  # no priority, low urgency
    assert fake.requests[0].headers["authorization"] == f"Token token={TOKEN}"


def test_the_urgency_priorities_are_options(fake: PagerDutyFake) -> None:
    with _connector(fake, options={"low_urgency_priority": 3}) as connector:
        assert _tickets(connector)["PD-2"].priority == 3
    with pytest.raises(ConfigurationError, match="between 1 and 5"):
        _connector(fake, options={"high_urgency_priority": 6})
    with pytest.raises(ConfigurationError, match="leave the query empty"):
        _connector(fake, query="service = payments")


def test_an_unknown_priority_is_rejected_with_the_reason(fake: PagerDutyFake) -> None:
    record = incident(3, CREATED, priority="SEV-1")
    with _connector(fake) as connector:
        result = connector.normalize(record)
    assert isinstance(result, Rejected) and result.external_id == "Q000003"
    assert "unknown priority 'SEV-1'" in result.reason


def test_connection_check(fake: PagerDutyFake) -> None:
    with _connector(fake) as connector:
        assert connector.test_connection() == "Connected to PagerDuty: 2 open incidents."
    with _connector(fake, secret="wrong") as connector, pytest.raises(AuthenticationError):
        connector.test_connection()


def test_the_v3_webhook_envelope(fake: PagerDutyFake) -> None:
    data = {
        "id": "Q000009",
        "type": "incident",
        "html_url": "https://acme.pagerduty.com/incidents/Q000009",
        "number": 9,
        "status": "resolved",
        "title": "Checkout fails",
        "created_at": "2026-12-01T10:00:00Z",
        "service": {"id": "PSVC001", "type": "service_reference", "summary": "Payments API"},
        "assignees": [{"id": "PUSR001", "type": "user_reference", "summary": "Ada Lovelace"}],
        "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Payments"}],
        "priority": {"id": "PPRI", "type": "priority_reference", "summary": "P2"},
        "urgency": "high",
    }
    body = {
        "event": {
            "id": "01DEN1HNAGL2M6Q8VLCTIT7T1N",
            "event_type": "incident.resolved",
            "resource_type": "incident",
            "occurred_at": "2026-12-01T11:00:00.000Z",
            "data": data,
        }
    }
    with _connector(fake) as connector:
        action, record = connector.push_envelope(body)
        ticket = connector.normalize(record)
        assert isinstance(ticket, NormalizedTicket)
        assert (action, ticket.key, ticket.status_category, ticket.assignee) == (
            "upsert",
            "PD-9",
            "resolved",
            "Ada Lovelace",
        )
        assert ticket.updated_at == datetime(2026, 12, 1, 11, tzinfo=UTC)
        with pytest.raises(RecordRejected, match="unsupported PagerDuty event"):
            connector.push_envelope({"event": {"event_type": "service.updated", "data": {}}})
