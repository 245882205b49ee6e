"""Jira specifics (itsm-apis.md §2) beyond the shared contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.connectors import (
    ApiRemovedError,
    ConnectorConfig,
    JiraConnector,
    NormalizedTicket,
    Rejected,
)

from .fakes import JiraFake, load_fixture

BASE = "https://acme.atlassian.net"


def connector(**overrides: Any) -> JiraConnector:
    values: dict[str, Any] = {
        "kind": "jira", "base_url": BASE, "username": "bot@acme.example", "secret": "t",
        **overrides,
    }  # fmt: skip
    return JiraConnector(ConnectorConfig(**values))


def issues() -> list[Any]:
    return load_fixture("jira", "issues_equal_timestamps")["issues"]


def test_recorded_cloud_issue_with_offsets() -> None:
    raw = load_fixture("jira", "search_jql_page_1")["body"]["issues"][0]
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket)
    assert (ticket.external_id, ticket.key) == ("15398", "ISSUE-1")
    assert ticket.url == f"{BASE}/browse/ISSUE-1"
    assert (ticket.status_raw, ticket.status_category, ticket.priority) == ("Done", "resolved", 3)
    # "2023-11-02T10:02:34.255+0100" is 09:02:34.255 UTC (§2: parse the offset)
    assert ticket.opened_at == datetime(2023, 11, 2, 9, 2, 34, 255000, tzinfo=UTC)
    assert ticket.updated_at == datetime(2023, 11, 7, 8, 46, 8, 304000, tzinfo=UTC)
    assert ticket.resolved_at == datetime(2023, 11, 7, 8, 46, 8, 298000, tzinfo=UTC)
    assert ticket.assignee == "hidden" and ticket.reassignment_count is None


@pytest.mark.parametrize(
    ("index", "category"),
    [(0, "open"), (1, "in_progress"), (2, "resolved"), (3, "closed"), (10, "cancelled")],
)
def test_status_category_with_refinements(index: int, category: str) -> None:
    # 3 is the "Closed" status, 10 is done with resolution "Won't Do"
    ticket = connector().normalize(issues()[index])
    assert isinstance(ticket, NormalizedTicket) and ticket.status_category == category


@pytest.mark.parametrize(
    ("name", "priority"),
    [("Highest", 1), ("High", 2), ("Medium", 3), ("Low", 4), ("Lowest", 5), ("Blocker", 1)],
)
def test_default_priorities(name: str, priority: int) -> None:
    raw = issues()[0]
    raw["fields"]["priority"]["name"] = name
    ticket = connector().normalize(raw)
    assert isinstance(ticket, NormalizedTicket) and ticket.priority == priority


def test_missing_priority_uses_the_default_and_unknown_is_rejected() -> None:
    raw = issues()[0]
    raw["fields"]["priority"] = None
    assert connector(options={"default_priority": 4}).normalize(raw).priority == 4  # type: ignore[union-attr]
    raw["fields"]["priority"] = {"name": "P0"}
    rejected = connector().normalize(raw)
    assert isinstance(rejected, Rejected) and "priority map" in rejected.reason
    assert rejected.external_id == "16001"


def test_blocker_signals() -> None:
    flagged = issues()[4]  # carries the "Impediment" flag in customfield_10021
    assert connector().normalize(flagged).is_blocker is False  # type: ignore[union-attr]
    with_flag = connector(options={"flagged_field": "customfield_10021"})
    assert with_flag.normalize(flagged).is_blocker is True  # type: ignore[union-attr]
    labelled = issues()[0]  # label "lending"
    assert connector(blocker_labels=("Lending",)).normalize(labelled).is_blocker is True  # type: ignore[union-attr]
    component = issues()[1]  # component "Loan API"
    assert connector(blocker_labels=("loan api",)).normalize(component).is_blocker is True  # type: ignore[union-attr]


def test_jql_is_in_the_account_zone_at_minute_precision(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(JiraFake, issues(), time_zone="Europe/Berlin")
    jira = make_connector(
        ConnectorConfig(
            kind="jira", base_url=fake.base_url, username="bot@acme.example",
            secret="api-token", query="project = LEND ORDER BY created DESC", page_size=50,
            allow_private_networks=True,
        )
    )  # fmt: skip
    pages = list(jira.fetch_pages(None))
    first = fake.requests_to("/search/jql")[0]
    assert first.param("jql") == (
        '(project = LEND) AND updated >= "1970/01/02 01:00" ORDER BY updated ASC, key ASC'
    )
    assert first.param("fields").split(",")[:3] == ["summary", "status", "priority"]
    assert "nextPageToken" not in first.query

    list(jira.fetch_pages(pages[-1].cursor))
    # newest is 10:05:00 +0100 = 09:05 UTC; minus the 120 s overlap = 09:03 UTC = 10:03 Berlin
    assert fake.requests_to("/search/jql")[-1].param("jql") == (
        '(project = LEND) AND updated >= "2026/03/02 10:03" ORDER BY updated ASC, key ASC'
    )


def test_time_zone_option_skips_myself(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(JiraFake, issues(), time_zone="UTC")
    jira = make_connector(_config(fake, options={"time_zone": "UTC"}))
    assert len([t for p in jira.fetch_pages(None) for t in p.tickets]) == 12
    assert fake.requests_to("/myself") == []


def test_data_center_uses_api2_start_at_and_a_bearer_pat(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(JiraFake, issues(), token="dc-pat", cloud=False)
    jira = make_connector(_config(fake, auth_type="bearer", username="", secret="dc-pat"))
    got = [t.external_id for p in jira.fetch_pages(None) for t in p.tickets]
    assert sorted(got) == sorted(i["id"] for i in issues()) and len(got) == len(set(got))
    searches = fake.requests_to("/rest/api/2/search")
    assert searches and fake.requests_to("/rest/api/3/") == []
    assert searches[0].headers["authorization"] == "Bearer dc-pat"
    assert searches[0].param("startAt") == "0"
    assert any(s.param("startAt") not in ("", "0") for s in searches)


def test_the_removed_search_api_is_a_clear_permanent_error(
    start_fake: Any, make_connector: Any
) -> None:
    fake = start_fake(JiraFake, issues(), cloud=True)
    jira = make_connector(_config(fake, options={"deployment": "datacenter"}))
    with pytest.raises(ApiRemovedError) as caught:
        list(jira.fetch_pages(None))
    assert caught.value.permanent and caught.value.status_code == 410
    assert "CHANGE-2046" in str(caught.value) and "deployment to 'cloud'" in str(caught.value)


def test_connection_reports_who_and_the_zone(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(JiraFake, issues())
    result = make_connector(_config(fake)).test_connection()
    assert "Jira Cloud as Cataligent Bot (time zone Europe/Berlin)" in result


def _config(fake: JiraFake, **overrides: Any) -> ConnectorConfig:
    values: dict[str, Any] = {
        "kind": "jira", "base_url": fake.base_url, "username": "bot@acme.example",
        "secret": "api-token", "query": "project = LEND", "page_size": 3,
        "allow_private_networks": True, **overrides,
    }  # fmt: skip
    return ConnectorConfig(**values)
