"""ServiceNow specifics (itsm-apis.md §1) beyond the shared contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    NormalizedTicket,
    Rejected,
    ResponseFormatError,
    ServiceNowConnector,
)

from .fakes import Reply, ServiceNowFake, load_fixture

BASE = "https://dev112093.service-now.com"


def connector(**overrides: Any) -> ServiceNowConnector:
    config = ConnectorConfig(
        **{"kind": "servicenow", "base_url": BASE, "username": "svc", "secret": "pw", **overrides}
    )
    return ServiceNowConnector(config)


def test_inc0000060_from_a_real_instance() -> None:
    raw = load_fixture("servicenow", "incident_page_1")["result"][0]
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert ticket.external_id == "1c741bd70b2322007518478d83673af3"
    assert ticket.key == "INC0000060"
    assert ticket.url == f"{BASE}/incident.do?sys_id=1c741bd70b2322007518478d83673af3"
    assert ticket.title == "Unable to connect to email"
    assert (ticket.status_raw, ticket.status_category, ticket.priority) == ("7", "closed", 3)
    assert ticket.reassignment_count == 2
    assert ticket.opened_at == datetime(2016, 12, 12, 15, 19, 57, tzinfo=UTC)
    assert ticket.updated_at == datetime(2016, 12, 14, 2, 46, 44, tzinfo=UTC)
    assert ticket.resolved_at == datetime(2016, 12, 13, 21, 43, 14, tzinfo=UTC)
    # {link, value} references without a display name fall back to the sys_id
    assert ticket.assignment_group == "287ebd7da9fe198100f92cc8d1d2154e"
    assert ticket.ci == "109562a3c611227500a7b7ff98cc0dc7"
    assert ticket.labels == ("inquiry", "email")
    assert not ticket.is_active and not ticket.is_blocker


def test_inc0000046_documented_example_open_and_unassigned() -> None:
    raw = load_fixture("servicenow", "incident_page_1")["result"][1]
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert ticket.status_category == "open" and ticket.is_active
    assert ticket.assignee is None  # "" is an empty reference (§1)
    assert ticket.resolved_at is None
    assert ticket.labels == ("software",)


def test_problem_from_the_documentation() -> None:
    raw = load_fixture("servicenow", "problem_page_1")["result"][0]
    ticket = connector(options={"table": "problem"}).normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert ticket.key == "PRB0000050" and ticket.status_category == "closed"
    assert ticket.priority == 4 and ticket.reassignment_count == 0  # "" = never reassigned
    assert ticket.resolved_at == datetime(2016, 1, 19, 4, 52, 4, tzinfo=UTC)  # from closed_at
    assert ticket.url.startswith(f"{BASE}/problem.do?")


@pytest.mark.parametrize(
    ("table", "state", "category"),
    [
        ("incident", "3", "in_progress"),
        ("incident", "8", "cancelled"),
        ("problem", "103", "in_progress"),
        ("problem", "106", "resolved"),
        ("change_request", "-5", "open"),
        ("change_request", "-1", "in_progress"),
        ("change_request", "4", "cancelled"),
        ("sc_req_item", "2", "in_progress"),
        ("sc_req_item", "7", "cancelled"),
    ],
)
def test_state_codes_per_table(table: str, state: str, category: str) -> None:
    raw = dict(load_fixture("servicenow", "incident_page_1")["result"][0], state=state)
    ticket = connector(options={"table": table}).normalize(raw)
    assert isinstance(ticket, NormalizedTicket) and ticket.status_category == category


def test_status_and_priority_maps_override_the_defaults() -> None:
    raw = dict(load_fixture("servicenow", "incident_page_1")["result"][1], state="9", priority="3")
    assert isinstance(connector().normalize(raw), Rejected)
    ticket = connector(status_map={"9": "in_progress"}, priority_map={"3": 2}).normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert (ticket.status_category, ticket.priority) == ("in_progress", 2)


def test_reference_shapes() -> None:
    raw = dict(load_fixture("servicenow", "incident_page_1")["result"][1])
    raw["assignment_group"] = "8a4dde73c6112278017a6a4baf547aa7"  # exclude_reference_link
    raw["assigned_to"] = {"display_value": "Beth Anglin", "value": "5137", "link": "x"}  # =all
    raw["state"] = {"display_value": "In Progress", "value": "2"}
    raw["cmdb_ci.name"] = "SAP Sales app"  # dot-walked
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert ticket.assignment_group == "8a4dde73c6112278017a6a4baf547aa7"
    assert ticket.assignee == "Beth Anglin"
    assert ticket.status_raw == "2" and ticket.ci == "SAP Sales app"


def test_fetch_asks_for_names_and_the_safe_query(start_fake: Any, make_connector: Any) -> None:
    records = load_fixture("servicenow", "incidents_equal_timestamps")["result"]
    fake = start_fake(ServiceNowFake, records)
    config = ConnectorConfig(
        kind="servicenow", base_url=fake.base_url, username="svc", secret="pw",
        query="active=true^ORDERBYnumber", page_size=100, allow_private_networks=True,
        blocker_labels=("network",),
    )  # fmt: skip
    sn = make_connector(config)
    pages = list(sn.fetch_pages(None))
    ticket = pages[0].tickets[0]
    assert ticket.assignment_group == "Network" and ticket.ci == "Core Banking API"
    assert ticket.components == ("Lending Platform",) and ticket.is_blocker
    first = fake.requests[0]
    assert first.path == "/api/now/table/incident"
    assert first.param("sysparm_query") == "active=true^ORDERBYsys_updated_on^ORDERBYsys_id"
    assert "assignment_group.name" in first.param("sysparm_fields").split(",")
    assert first.param("sysparm_exclude_reference_link") == "true"

    list(sn.fetch_pages(pages[-1].cursor))
    again = fake.requests[-1].param("sysparm_query")
    # since 09:02:30 minus the 60 s overlap; ">=" and a tie-break order (§1 "Safe recipe")
    assert again == (
        "active=true^sys_updated_on>=2026-03-02 09:01:30^ORDERBYsys_updated_on^ORDERBYsys_id"
    )


def test_new_query_alternatives_each_get_the_time_condition() -> None:
    sn = connector(query="priority=1^NQcategory=network^ORDERBYDESCnumber")
    query = sn._encoded_query(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert query == (
        "priority=1^sys_updated_on>=2026-03-02 09:00:00"
        "^NQcategory=network^sys_updated_on>=2026-03-02 09:00:00"
        "^ORDERBYsys_updated_on^ORDERBYsys_id"
    )


def test_v1_no_record_found_is_an_empty_result(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(ServiceNowFake, [])
    fake.inject(Reply.from_fixture("servicenow", "no_record_found_404"))
    sn = make_connector(_config(fake))
    pages = list(sn.fetch_pages(None))
    assert len(pages) == 1 and pages[0].is_last and pages[0].tickets == ()


def test_an_error_inside_a_200_is_not_taken_for_data(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(ServiceNowFake, [])
    fake.inject(Reply.from_fixture("servicenow", "error_in_200"))
    with pytest.raises(ResponseFormatError, match="Invalid table"):
        list(make_connector(_config(fake)).fetch_pages(None))


def test_an_html_page_is_a_clear_error(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(ServiceNowFake, [])
    fake.inject(Reply(200, "<html>Instance hibernating</html>", {"Content-Type": "text/html"}))
    with pytest.raises(ResponseFormatError, match="not JSON"):
        list(make_connector(_config(fake)).fetch_pages(None))


def test_other_tables_are_read_from_their_path(start_fake: Any, make_connector: Any) -> None:
    change = dict(load_fixture("servicenow", "incident_page_1")["result"][0], state="-1")
    fake = start_fake(ServiceNowFake, [])
    fake.tables["change_request"] = [change]
    sn = make_connector(_config(fake, options={"table": "change_request"}))
    (page,) = list(sn.fetch_pages(None))
    assert fake.requests[0].path == "/api/now/table/change_request"
    assert page.tickets[0].status_category == "in_progress"


def test_bearer_token_is_sent(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(ServiceNowFake, [], secret="oauth-access-token")
    sn = make_connector(_config(fake, auth_type="bearer", username="", secret="oauth-access-token"))
    list(sn.fetch_pages(None))
    assert fake.requests[0].headers["authorization"] == "Bearer oauth-access-token"


def test_connection_warns_about_a_non_gmt_user_and_unmapped_states(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(ServiceNowFake, load_fixture("servicenow", "incident_page_1")["result"])
    fake.users[0]["time_zone"] = "US/Pacific"
    fake.choices.append(
        {"name": "incident", "element": "state", "inactive": "false", "value": "9",
         "label": "Awaiting Approval"}
    )  # fmt: skip
    result = make_connector(_config(fake)).test_connection()
    assert "2 incident records match" in result
    assert "time zone is US/Pacific" in result
    assert "9 (Awaiting Approval)" in result


def test_configuration_mistakes_are_caught_early() -> None:
    with pytest.raises(ConfigurationError, match="table"):
        connector(options={"table": "sys_user"})
    with pytest.raises(ConfigurationError, match="unknown option"):
        connector(options={"tabel": "incident"})
    with pytest.raises(ConfigurationError, match="supports auth"):
        connector(auth_type="token")


def _config(fake: ServiceNowFake, **overrides: Any) -> ConnectorConfig:
    values: dict[str, Any] = {
        "kind": "servicenow", "base_url": fake.base_url, "username": "svc", "secret": "pw",
        "allow_private_networks": True, **overrides,
    }  # fmt: skip
    return ConnectorConfig(**values)
