"""Request Tracker specifics (itsm-apis.md §3) beyond the shared contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    NormalizedTicket,
    Rejected,
    RequestRejectedError,
    RequestTrackerConnector,
)

from .fakes import Reply, RTFake, load_fixture

BASE = "https://rt.example.com"
TOKEN = "1-14-0123456789abcdef0123456789abcdef"


def connector(**overrides: Any) -> RequestTrackerConnector:
    values: dict[str, Any] = {
        "kind": "rt", "base_url": BASE, "auth_type": "token", "secret": TOKEN, **overrides,
    }  # fmt: skip
    return RequestTrackerConnector(ConnectorConfig(**values))


def tickets() -> list[Any]:
    return load_fixture("rt", "tickets_equal_timestamps")["items"]


def test_the_verified_item() -> None:
    raw = load_fixture("rt", "tickets_page_1")["body"]["items"][0]
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert (ticket.external_id, ticket.key) == ("1", "RT#1")
    assert ticket.url == f"{BASE}/Ticket/Display.html?id=1"
    assert (ticket.title, ticket.status_category, ticket.priority) == ("Printer on fire", "open", 5)
    assert ticket.assignee is None  # Owner "Nobody"
    assert ticket.assignment_group == "General"
    assert ticket.labels == ("High",)  # custom field values
    assert ticket.opened_at == datetime(2026, 11, 26, 7, 16, 32, tzinfo=UTC)
    assert ticket.resolved_at is None  # 1970-01-01T00:00:00Z means "not set"


def test_two_versions_within_one_second_have_different_revisions() -> None:
    """RT keeps LastUpdated to the second and no update counter: the revision is a hash of
    what RT sent, so the cursor tells a second update in the same second from a re-read."""
    raw = load_fixture("rt", "tickets_page_1")["body"]["items"][0]
    first = connector().normalize(raw)
    reread = connector().normalize(dict(reversed(list(raw.items()))))  # key order is no change
    edited = connector().normalize({**raw, "Status": "resolved"})
    assert isinstance(first, NormalizedTicket) and isinstance(edited, NormalizedTicket)
    assert isinstance(reread, NormalizedTicket)
    assert first.updated_at == edited.updated_at
    assert first.revision == reread.revision != edited.revision


def test_single_ticket_shape_has_a_numeric_id() -> None:
    raw = load_fixture("rt", "ticket_2")["body"]
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert ticket.external_id == "2" and ticket.status_category == "resolved"
    assert ticket.resolved_at == datetime(2026, 11, 26, 7, 16, 37, tzinfo=UTC)


def test_custom_fields_empty_string_and_field_mapping() -> None:
    plain = tickets()[0]
    assert plain["CustomFields"] == ""
    assert connector().normalize(plain).labels == ()  # type: ignore[union-attr]
    mapped = connector(
        options={"component_custom_field": "Service"}, blocker_labels=("core banking",)
    ).normalize(tickets()[1])
    assert isinstance(mapped, NormalizedTicket)
    assert mapped.components == ("Core Banking",) and mapped.labels == ("High",)
    assert mapped.is_blocker and mapped.assignee == "root"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 5), ("19", 5), ("20", 4), ("40", 3), ("50", 3), ("60", 2), ("79", 2), ("80", 1),
     ("100", 1), ("-3", 5), ("Medium", 3)],
)  # fmt: skip
def test_default_priority_bands(value: str, expected: int) -> None:
    raw = dict(tickets()[0], Priority=value)
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket) and ticket.priority == expected


def test_priority_map_exact_values_and_own_bands() -> None:
    raw = dict(tickets()[0], Priority="50")
    assert connector(priority_map={"50": 2}).normalize(raw).priority == 2  # type: ignore[union-attr]
    own = connector(priority_map={"90..": 1, "..89": 4})
    assert own.normalize(dict(raw, Priority="95")).priority == 1  # type: ignore[union-attr]
    assert own.normalize(dict(raw, Priority="85")).priority == 4  # type: ignore[union-attr]
    assert isinstance(connector().normalize(dict(raw, Priority="high!")), Rejected)


@pytest.mark.parametrize(
    ("status", "category"),
    [("new", "open"), ("open", "in_progress"), ("stalled", "in_progress"),
     ("resolved", "resolved"), ("rejected", "cancelled"), ("deleted", "cancelled")],
)  # fmt: skip
def test_default_statuses(status: str, category: str) -> None:
    ticket = connector().normalize(dict(tickets()[0], Status=status))
    assert isinstance(ticket, NormalizedTicket) and ticket.status_category == category


def test_ticketsql_in_the_user_zone_and_paging_parameters(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(RTFake, tickets(), time_zone="America/New_York")
    rt = make_connector(_config(fake, query="Queue = 'General'", page_size=500))
    pages = list(rt.fetch_pages(None))
    first = fake.requests_to("/REST/2.0/tickets")[0]
    assert first.param("query") == "Queue = 'General'"
    assert first.query["orderby"] == ["LastUpdated", "id"]
    assert first.query["order"] == ["ASC", "ASC"]
    assert first.param("per_page") == "100"  # > 100 is clamped by RT anyway (§3)
    assert "Priority" in first.param("fields").split(",")
    assert first.param("fields[Queue]") == "Name"
    assert first.headers["authorization"] == f"token {TOKEN}"

    list(rt.fetch_pages(pages[-1].cursor))
    # newest 12:02:30Z minus the 60 s overlap = 12:01:30Z = 07:01:30 in New York (EST)
    assert fake.requests_to("/REST/2.0/tickets")[-1].param("query") == (
        "(Queue = 'General') AND LastUpdated >= '2026-11-26 07:01:30'"
    )


def test_empty_result_with_float_pages(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(RTFake, [])
    # A first read sends no date, so it does not ask for the user's zone.
    fake.inject(Reply.from_fixture("rt", "empty_search"))
    (page,) = list(make_connector(_config(fake)).fetch_pages(None))
    assert page.is_last and page.tickets == () and page.cursor["since"] is None


def test_without_a_zone_the_offset_is_found_from_a_ticket(
    start_fake: Any, make_connector: Any
) -> None:
    """The user has no zone of its own (or there is no username to read it by): RT reads
    query dates in the server's zone, which the API does not show, so it is found (rt_zone)."""
    fake = start_fake(RTFake, tickets(), time_zone="", server_time_zone="Asia/Kathmandu")
    for username in ("cataligent", ""):
        rt = make_connector(_config(fake, username=username))
        message = rt.test_connection()
        assert "$Timezone" in message and "at UTC+05:45 now" in message  # a quarter-hour zone
        assert rt.learned_options() == {"time_zone_found": "+05:45"}
    pages = list(rt.fetch_pages(None))
    assert len([t for p in pages for t in p.tickets]) == 12
    list(rt.fetch_pages(pages[-1].cursor))
    # newest 12:02:30Z minus the 60 s overlap = 12:01:30Z = 17:46:30 in Kathmandu
    assert fake.requests_to("/REST/2.0/tickets")[-1].param("query") == (
        "LastUpdated >= '2026-11-26 17:46:30'"
    )
    # A recorded offset is used as it is (no search), and checked before each query.
    fake.server_time_zone = "America/New_York"
    fake.requests.clear()
    stale = make_connector(_config(fake, options={"time_zone_found": "+05:45"}))
    assert [t for p in stale.fetch_pages(pages[-1].cursor) for t in p.tickets] == []
    queries = [r.param("query") for r in fake.requests_to("/REST/2.0/tickets")]
    assert queries[0] == "LastUpdated < '2026-11-26 17:46:30'"  # RT: 22:46:30Z, after tickets
    assert "id > 0" in queries  # the check failed two hours back: found anew
    assert stale.learned_options() == {"time_zone_found": "-05:00"}
    assert queries[-1] == "LastUpdated >= '2026-11-26 07:01:30'"
    with pytest.raises(ConfigurationError, match="time_zone_found"):
        list(
            make_connector(_config(fake, options={"time_zone_found": "5h"})).fetch_pages(
                pages[-1].cursor
            )
        )


def test_the_time_zone_option_and_the_users_own_zone_win(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(RTFake, tickets(), time_zone="America/New_York")
    assert "sent in America/New_York" in make_connector(_config(fake)).test_connection()
    fake.time_zone = ""
    given = make_connector(_config(fake, username="", options={"time_zone": "US/Eastern"}))
    assert "sent in US/Eastern" in given.test_connection()
    assert given.learned_options() == {}
    assert not [r for r in fake.requests_to("/REST/2.0/tickets") if "id = " in r.param("query")]


def test_bad_ticketsql_is_a_permanent_error_with_rt_message(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(RTFake, tickets())
    with pytest.raises(RequestRejectedError, match="Unknown field: Foo") as caught:
        list(make_connector(_config(fake, query="Foo = 'bar'")).fetch_pages(None))
    assert caught.value.permanent


def test_basic_auth_works_too(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(RTFake, tickets(), password="s3cret")
    rt = make_connector(_config(fake, auth_type="basic", secret="s3cret"))
    assert "Request Tracker 5.0.3" in rt.test_connection()


def _config(fake: RTFake, **overrides: Any) -> ConnectorConfig:
    values: dict[str, Any] = {
        "kind": "rt", "base_url": fake.base_url, "auth_type": "token", "secret": TOKEN,
        "username": "cataligent", "page_size": 3, "allow_private_networks": True, **overrides,
    }  # fmt: skip
    return ConnectorConfig(**values)
