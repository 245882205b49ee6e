"""The Zendesk connector on its own, against the fake over real HTTP: the mapping, the
options, the cursor it stores, the connection check and the webhook body."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors import ConfigurationError, ConnectorConfig, connector_for
from integrations.connectors.base import NormalizedTicket, RecordRejected, Rejected
from integrations.connectors.errors import AuthenticationError, ResponseFormatError
from integrations.connectors.zendesk import ZendeskConnector

from .fakes import Reply
from .zendesk_fake import EMAIL, TOKEN, ZendeskFake, ticket

UPDATED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
CREATED = UPDATED - timedelta(days=2)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[ZendeskFake]:
    server = ZendeskFake(
        [
            ticket(1, UPDATED, created=CREATED, status="hold", priority="urgent"),
            ticket(2, UPDATED, status="solved", priority=None, group=None, assignee=None),
            ticket(
                3,
                UPDATED + timedelta(minutes=1),
                status="new",
                tags=["blocker"],
                custom_fields=[{"id": 360077, "value": "payments-api"}],
            ),
        ]
    )
    server.metric_sets[2].update(solved_at="2026-12-01T09:30:00Z", group_stations=3, reopens=2)
    yield server
    server.close()


def _connector(fake: ZendeskFake, **overrides: Any) -> ZendeskConnector:
    values: dict[str, Any] = {
        "kind": "zendesk",
        "base_url": fake.base_url,
        "auth_type": "basic",
        "username": f"{EMAIL}/token",
        "secret": TOKEN,
        "allow_private_networks": True,
        **overrides,
    }
    connector = connector_for(ConnectorConfig(**values), sleep=Sleeps())
    assert isinstance(connector, ZendeskConnector)
    return connector


def _tickets(connector: ZendeskConnector) -> dict[str, NormalizedTicket]:
    return {t.key: t for page in connector.fetch_pages(None) for t in page.tickets}


def test_tickets_map_to_the_mirror(fake: ZendeskFake) -> None:
    with _connector(fake, blocker_labels=("blocker",)) as connector:
        tickets = _tickets(connector)
    one, two, three = tickets["ZD-1"], tickets["ZD-2"], tickets["ZD-3"]
    assert (one.external_id, one.status_category, one.priority) == ("1", "in_progress", 1)
    assert (one.assignee, one.assignment_group, one.labels) == (
        "Ada Lovelace",
        "Payments",
        ("payments",),
    )
    assert one.url == f"{fake.base_url}/agent/tickets/1"
    assert (one.opened_at, one.updated_at, one.resolved_at) == (CREATED, UPDATED, None)
    assert (one.reopen_count, one.reassignment_count, one.sla_breached) == (0, 0, None)
    # No priority: the option's default (3, as normal); the metric set's figures.
    assert (two.status_category, two.priority, two.assignee, two.assignment_group) == (
        "resolved",
        3,
        None,
        None,
    )
    assert two.resolved_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert (two.reopen_count, two.reassignment_count) == (2, 2)
    assert three.is_blocker and three.ci is None  # no ci_field configured
    # Of the sideloaded people and groups, only the id and name are kept.
    assert one.raw["assignee"] == {"id": 9001, "name": "Ada Lovelace"}
    assert fake.requests[0].headers["authorization"].startswith("Basic ")


def test_options(fake: ZendeskFake) -> None:
    with _connector(fake, options={"no_priority": 4, "ci_field": 360077}) as connector:
        tickets = _tickets(connector)
    assert tickets["ZD-2"].priority == 4
    assert (tickets["ZD-3"].ci, tickets["ZD-3"].components) == ("payments-api", ("payments-api",))
    with _connector(fake, auth_type="bearer", username="") as connector:
        assert len(_tickets(connector)) == 3
    assert fake.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(ConfigurationError, match="between 1 and 5"):
        _connector(fake, options={"no_priority": 6})
    with pytest.raises(ConfigurationError, match="custom field id"):
        _connector(fake, options={"ci_field": "Service"})
    with pytest.raises(ConfigurationError, match="requests_per_minute"):
        _connector(fake, options={"requests_per_minute": 0})
    with pytest.raises(ConfigurationError, match="leave the query empty"):
        _connector(fake, query="status:open")
    with pytest.raises(ConfigurationError, match="'<email>/token'"):
        _connector(fake, username=EMAIL)
    with pytest.raises(ConfigurationError, match="unknown option"):
        _connector(fake, options={"exclude_deleted": True})


def test_an_unknown_priority_is_rejected_with_the_reason(fake: ZendeskFake) -> None:
    record = ticket(4, UPDATED, priority="p1")
    with _connector(fake) as connector:
        result = connector.normalize(record)
        assert isinstance(result, Rejected) and result.external_id == "4"
        assert "unknown priority 'p1'" in result.reason
        missing = connector.normalize({**record, "updated_at": None})
        assert isinstance(missing, Rejected) and "updated_at" in missing.reason


def test_a_run_stopped_half_way_resumes_after_its_last_page(fake: ZendeskFake) -> None:
    with _connector(fake, page_size=2) as connector:
        pages = connector.fetch_pages(None)
        first = next(pages)
        pages.close()  # the worker stopped here
    assert [t.external_id for t in first.tickets] == ["1", "2"]
    stored = first.cursor
    assert stored is not None and stored["zendesk_after_cursor"]  # type: ignore[typeddict-item]
    with _connector(fake, page_size=2) as connector:
        rest = [t.external_id for page in connector.fetch_pages(stored) for t in page.tickets]
    assert rest == ["3"]
    assert fake.requests[-1].param("cursor") == stored["zendesk_after_cursor"]  # type: ignore[typeddict-item]
    # Other settings: the stored position is not theirs, the export starts over.
    with _connector(fake, page_size=2, options={"no_priority": 4}) as connector:
        again = [t.external_id for page in connector.fetch_pages(stored) for t in page.tickets]
    assert again == ["1", "2", "3"]
    # From the start; once caught up, once more from the cursor a minute later.
    assert [r.param("start_time") for r in fake.requests_to("cursor.json")[-3:]] == ["0", "", ""]


def test_an_empty_export_keeps_its_start(fake: ZendeskFake) -> None:
    fake.tickets.clear()
    with _connector(fake) as connector:
        *_, page = list(connector.fetch_pages(None))
        assert page.is_last and page.tickets == ()
        assert page.cursor["zendesk_start_time"] == 0  # type: ignore[typeddict-item]
        assert page.cursor["zendesk_after_cursor"] is None  # type: ignore[typeddict-item]
        list(connector.fetch_pages(page.cursor))
    assert fake.requests[-1].param("start_time") == "0"


def test_quarantined_tickets_are_read_again_by_id(fake: ZendeskFake) -> None:
    fake.delete(2)
    with _connector(fake) as connector:
        page = connector.fetch_records(["1", "2", "not-a-number", "²", "١٢"])
        superscript = connector.normalize({**ticket(4, UPDATED), "id": "²"})
    assert page is not None
    assert [t.key for t in page.tickets] == ["ZD-1"]  # 2 is deleted: not served
    assert fake.requests[-1].param("ids") == "1,2"  # digits of other scripts are no ids
    assert isinstance(superscript, Rejected) and "not a Zendesk ticket number" in superscript.reason
    assert page.tickets[0].assignment_group == "Payments"  # sideloads attached


def test_a_ticket_naming_its_assignee_by_a_list_is_rejected_not_the_page(
    fake: ZendeskFake,
) -> None:
    """A list or object where an id belongs was a TypeError (unhashable) that failed the
    whole page; now that ticket alone is quarantined with its reason."""
    bad = {**ticket(4, UPDATED), "assignee_id": [7001]}
    worse = {**ticket(5, UPDATED), "group_id": {"id": 1}}
    answer = {
        "tickets": [ticket(1, UPDATED), bad, worse],
        "users": [{"id": [1], "name": "odd"}, {"id": 7001, "name": "Ada Lovelace"}],
        "after_cursor": "MTU4MDc1Mzc5OC4wfHw0MzJ8",
        "end_of_stream": True,
    }
    fake.inject(Reply(200, answer))
    with _connector(fake) as connector:
        first = next(connector.fetch_pages(None))
    assert [t.key for t in first.tickets] == ["ZD-1"]
    reasons = {r.external_id: r.reason for r in first.rejected}
    assert reasons == {
        "4": "'assignee_id' is not a Zendesk id: '[7001]'",
        "5": "'group_id' is not a Zendesk id: \"{'id': 1}\"",
    }


def test_an_export_that_does_not_move_on_is_an_error_not_a_loop(fake: ZendeskFake) -> None:
    """More to come but the same after_cursor again: asking again would read that page for
    ever (the pace makes it a request every 6 seconds, without end)."""
    stuck = {
        "tickets": [ticket(1, UPDATED)],
        "after_cursor": "MTU4MDc1Mzc5OC4wfHw0MzJ8",
        "end_of_stream": False,
    }
    fake.inject(*[Reply(200, stuck)] * 3)
    with _connector(fake) as connector, pytest.raises(ResponseFormatError, match="same page"):
        list(connector.fetch_pages(None))
    assert len(fake.requests_to("cursor.json")) == 2


def test_connection_check(fake: ZendeskFake) -> None:
    with _connector(fake) as connector:
        assert connector.test_connection() == "Connected to Zendesk as Ada Lovelace (admin)."
    fake.role = "agent"
    with _connector(fake) as connector, pytest.raises(ConfigurationError, match="an admin"):
        connector.test_connection()
    with _connector(fake, secret="wrong") as connector, pytest.raises(AuthenticationError):
        connector.test_connection()


def test_the_trigger_webhook_body(fake: ZendeskFake) -> None:
    # What a trigger's JSON body sends, with the placeholders' display values.
    body = {
        "ticket": {
            "id": 42,
            "subject": "Checkout fails",
            "status": "On-hold",
            "priority": "Urgent",
            "created_at": "2026-12-01T10:00:00Z",
            "updated_at": "2026-12-01T11:00:00Z",
            "tags": "payments vip",
            "assignee": {"name": "Ada Lovelace"},
            "group": {"name": "Payments"},
        }
    }
    with _connector(fake) as connector:
        action, record = connector.push_envelope(body)
        result = connector.normalize(record)
        assert isinstance(result, NormalizedTicket)
        assert (action, result.key, result.status_category, result.priority) == (
            "upsert",
            "ZD-42",
            "in_progress",
            1,
        )
        assert (result.assignee, result.assignment_group) == ("Ada Lovelace", "Payments")
        assert result.labels == ("payments", "vip")
        deleted = connector.push_envelope({"ticket": {"id": 42, "status": "deleted"}})
        assert deleted == ("delete", "42")


def test_the_event_subscription_webhook_reads_the_ticket_back(fake: ZendeskFake) -> None:
    def event(kind: str, ident: str) -> dict[str, Any]:
        return {
            "type": f"zen:event-type:ticket.{kind}",
            "account_id": 88888888,
            "id": "01HNXXXX-CTEXAMPLE",
            "time": "2026-12-01T11:00:00Z",
            "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ident}",
            # Ids only, no names: hence the read back.
            "detail": {"id": ident, "status": "HOLD", "assignee_id": "9001", "group_id": "360001"},
            "event": {"current": "HOLD", "previous": "OPEN"},
        }

    with _connector(fake) as connector:
        action, record = connector.push_envelope(event("status_changed", "1"))
        result = connector.normalize(record)
        assert isinstance(result, NormalizedTicket) and action == "upsert"
        assert (result.key, result.assignee, result.assignment_group) == (
            "ZD-1",
            "Ada Lovelace",
            "Payments",
        )
        assert fake.requests[-1].param("ids") == "1"
        for deleting in ("soft_deleted", "permanently_deleted", "marked_as_spam"):
            assert connector.push_envelope(event(deleting, "1")) == ("delete", "1")
        with pytest.raises(RecordRejected, match="could not be read back"):
            connector.push_envelope(event("status_changed", "404"))
        fake.inject(Reply(401, {"error": "Couldn't authenticate you"}))
        with pytest.raises(RecordRejected, match=r"could not be read back: .*HTTP 401"):
            connector.push_envelope(event("status_changed", "1"))
        with pytest.raises(RecordRejected, match="unsupported Zendesk event"):
            connector.push_envelope(
                {**event("created", "1"), "type": "zen:event-type:user.created"}
            )


def test_the_sla_sideload(fake: ZendeskFake) -> None:
    past, future = UPDATED - timedelta(hours=1), UPDATED + timedelta(days=1)
    fake.slas[1] = [
        # Reached: whether in time is not said, so no "met".
        {"metric": "first_reply_time", "stage": "achieved", "breach_at": _iso(past)},
        {"metric": "next_reply_time", "stage": "active", "breach_at": _iso(future), "hours": 21},
    ]
    fake.slas[3] = [{"metric": "first_reply_time", "stage": "active", "breach_at": _iso(past)}]
    with _connector(fake) as connector:
        tickets = _tickets(connector)
        assert (tickets["ZD-1"].sla_breached, tickets["ZD-1"].due_at) == (None, future)
        assert (tickets["ZD-3"].sla_breached, tickets["ZD-3"].due_at) == (True, past)
        assert (tickets["ZD-2"].sla_breached, tickets["ZD-2"].due_at) == (None, None)
        bad = connector.normalize({**ticket(5, UPDATED), "slas": {"policy_metrics": "none"}})
        assert isinstance(bad, Rejected) and "policy_metrics" in bad.reason


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
