"""The JSM Operations connector on its own, against the fake over real HTTP: the mapping,
the configuration checks, the connection check, rate limits and the webhook's body."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors import ConfigurationError, ConnectorConfig, connector_for
from integrations.connectors.base import NormalizedTicket, RecordRejected, Rejected
from integrations.connectors.errors import AuthenticationError
from integrations.connectors.jsm_ops import JsmOpsConnector

from .conftest import SleepRecorder
from .fakes import Reply
from .jsm_ops_fake import CLOUD_ID, EMAIL, TOKEN, JsmOpsFake, alert

CREATED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
TEAM = "c8007b3c-5f0a-4a8e-9d2b-0123456789ab"


@pytest.fixture
def fake() -> Iterator[JsmOpsFake]:
    server = JsmOpsFake(
        [
            alert(1, CREATED, acknowledged=True, priority="P1", owner="Ada Lovelace"),
            alert(2, CREATED + timedelta(minutes=1), snoozed=True, priority="P4"),
            alert(3, CREATED + timedelta(minutes=2), team=None, tags=["blocker"]),
            alert(4, CREATED + timedelta(minutes=3), status="closed", priority="P2"),
        ]
    )
    yield server
    server.close()


def _connector(fake: JsmOpsFake, sleep: Any = None, **overrides: Any) -> JsmOpsConnector:
    values: dict[str, Any] = {
        "kind": "jsm_ops",
        "base_url": fake.api_url,
        "username": EMAIL,
        "secret": TOKEN,
        "allow_private_networks": True,
        **overrides,
    }
    kwargs = {"sleep": sleep} if sleep is not None else {}
    connector = connector_for(ConnectorConfig(**values), **kwargs)
    assert isinstance(connector, JsmOpsConnector)
    return connector


def _tickets(connector: JsmOpsConnector) -> dict[str, NormalizedTicket]:
    return {t.key: t for page in connector.fetch_pages(None) for t in page.tickets}


def test_alerts_map_to_tickets(fake: JsmOpsFake) -> None:
    options = {"site_url": "https://acme.atlassian.net", "team_names": {TEAM: "Payments"}}
    with _connector(fake, options=options, blocker_labels=("blocker",)) as connector:
        tickets = _tickets(connector)
    one, two, three, four = (tickets[f"ALERT-{n}"] for n in range(1, 5))
    assert (one.status_raw, one.status_category, one.priority) == ("acknowledged", "in_progress", 1)
    assert (one.assignee, one.assignment_group, one.ci, one.labels) == (
        "Ada Lovelace",
        "Payments",
        "payments-api",
        ("prod",),
    )
    assert one.url == f"https://acme.atlassian.net/jira/ops/alerts/{one.external_id}"
    assert one.opened_at == CREATED and one.resolved_at is None and one.title == "Alert 1"
    assert (two.status_raw, two.status_category, two.priority) == ("snoozed", "in_progress", 4)
    assert (three.status_category, three.assignment_group, three.is_blocker) == ("open", None, True)
    assert (four.status_category, four.resolved_at) == ("resolved", CREATED + timedelta(minutes=3))
    # Basic auth with the email and token; sorted by creation, never by update time.
    assert fake.requests[0].headers["authorization"].startswith("Basic ")
    assert {r.param("sort") for r in fake.requests_to("/v1/alerts")} == {"createdAt"}


def test_a_team_without_a_name_shows_its_id_and_no_site_means_no_link(fake: JsmOpsFake) -> None:
    with _connector(fake) as connector:
        one = _tickets(connector)["ALERT-1"]
    assert (one.assignment_group, one.url) == (TEAM, "")


def test_the_configuration_is_checked_with_clear_errors(fake: JsmOpsFake) -> None:
    with pytest.raises(ConfigurationError, match=r"must end in /jsm/ops/api/<cloud id>"):
        _connector(fake, base_url=fake.base_url)
    with pytest.raises(ConfigurationError, match="must end in"):
        _connector(fake, base_url=f"{fake.base_url}/jsm/ops/api/acme")
    with pytest.raises(ConfigurationError, match="email as the user"):
        _connector(fake, username="")
    with pytest.raises(ConfigurationError, match="supports auth"):
        _connector(fake, auth_type="token")
    with pytest.raises(ConfigurationError, match="'team_names' must map"):
        _connector(fake, options={"team_names": ["Payments"]})
    with pytest.raises(ConfigurationError, match="'site_url' must be an http"):
        _connector(fake, options={"site_url": "acme.atlassian.net"})
    assert CLOUD_ID in _connector(fake).config.base_url


def test_the_query_narrows_every_read(fake: JsmOpsFake) -> None:
    with _connector(fake, query="priority: P1") as connector:
        assert set(_tickets(connector)) == {"ALERT-1"}
    queries = {r.param("query") for r in fake.requests_to("/v1/alerts")}
    assert all(q.startswith("(priority: P1)") for q in queries), queries


def test_a_bad_record_is_rejected_with_the_reason(fake: JsmOpsFake) -> None:
    unknown = alert(5, CREATED, priority="SEV1")
    odd = alert(6, CREATED, status="resolved")
    with _connector(fake) as connector:
        first, second = connector.normalize(unknown), connector.normalize(odd)
        third = connector.normalize({**alert(7, CREATED), "createdAt": "yesterday"})
    assert isinstance(first, Rejected) and first.external_id == unknown["id"]
    assert "unknown priority 'SEV1'" in first.reason
    assert isinstance(second, Rejected) and "unknown status 'resolved'" in second.reason
    assert isinstance(third, Rejected) and "'createdAt' is not an ISO 8601 time" in third.reason


def test_connection_check(fake: JsmOpsFake) -> None:
    with _connector(fake) as connector:
        assert connector.test_connection() == "Connected to JSM Operations: 3 open alerts."
    with _connector(fake, secret="wrong") as connector, pytest.raises(AuthenticationError):
        connector.test_connection()


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"X-RateLimit-Reset": "2099-01-01T00:00Z"}, None),  # far off: not slept through
    ],
    ids=["retry-after", "ratelimit-reset"],
)
def test_a_429_waits_what_atlassian_asks(
    fake: JsmOpsFake, headers: dict[str, str], wait: float | None
) -> None:
    fake.inject(Reply(429, {"message": "Too many requests"}, headers=headers))
    sleeps = SleepRecorder()
    with _connector(fake, sleep=sleeps) as connector:
        if wait is None:
            with pytest.raises(Exception, match="longer than the 120 s we wait"):
                connector.test_connection()
            assert sleeps.waits == []
        else:
            assert connector.test_connection().startswith("Connected")
            assert sleeps.waits == [wait]


def test_a_near_ratelimit_reset_is_waited(fake: JsmOpsFake) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%MZ")
    fake.inject(Reply(429, {"message": "Too many requests"}, headers={"X-RateLimit-Reset": soon}))
    sleeps = SleepRecorder()
    with _connector(fake, sleep=sleeps) as connector:
        assert connector.test_connection().startswith("Connected")
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= 90


def test_the_webhook_reads_the_alert_by_its_id(fake: JsmOpsFake) -> None:
    one = fake.acknowledge(alert(1, CREATED)["id"])
    body = {
        "source": {"name": "", "type": "web"},
        "alert": {
            "updatedAt": 1420452224764002246,
            "tags": ["prod"],
            "message": "Alert 1",
            "username": "ada@acme.example",
            "alertId": one["id"],
            "alias": "alias-1",
            "tinyId": "1",
            "createdAt": 1420452191104,
            "entity": "",
        },
        "action": "Acknowledge",
        "integrationId": "37c8f316-17c6-49d7-899b-9c7e540c048d",
        "integrationName": "Cataligent",
    }
    with _connector(fake) as connector:
        action, record = connector.push_envelope(body)
        ticket = connector.normalize(record)
        assert action == "upsert" and isinstance(ticket, NormalizedTicket)
        assert (ticket.key, ticket.status_category) == ("ALERT-1", "in_progress")
        assert connector.push_envelope({**body, "action": "Delete"}) == ("delete", one["id"])
        fake.delete(one["id"])
        assert connector.push_envelope(body) == ("delete", one["id"])
        with pytest.raises(RecordRejected, match="has no 'alertId'"):
            connector.push_envelope({"action": "Create", "alert": {"tinyId": "9"}})
