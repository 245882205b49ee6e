"""The SLA result, due date and reopen count of each tool (DESIGN §2 "Execution reports"),
on recorded and documented records; no SLA data is unknown (None), never "met"."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    JiraConnector,
    NormalizedTicket,
    Rejected,
    RequestTrackerConnector,
    ServiceNowConnector,
)
from integrations.connectors.generic import parse_generic
from integrations.connectors.push import parse_push

from .fakes import JiraFake, ServiceNowFake, load_fixture

SN = "https://dev112093.service-now.com"


def servicenow(**options: Any) -> ServiceNowConnector:
    return ServiceNowConnector(
        ConnectorConfig(
            kind="servicenow", base_url=SN, username="svc", secret="pw", options=options
        )
    )


def sn_records() -> list[dict[str, Any]]:
    return copy.deepcopy(load_fixture("servicenow", "incident_page_1")["result"])


def normalized(connector: Any, raw: Any) -> NormalizedTicket:
    ticket = connector.normalize(raw)
    assert isinstance(ticket, NormalizedTicket), ticket
    return ticket


# --- ServiceNow ---------------------------------------------------------------------------


def test_servicenow_made_sla_true_is_met_with_its_reopen_count() -> None:
    ticket = normalized(servicenow(), sn_records()[0])  # INC0000060, a real PDI record
    assert (ticket.sla_breached, ticket.reopen_count, ticket.due_at) == (False, 0, None)


def test_servicenow_made_sla_false_is_breached_and_sla_due_is_the_deadline() -> None:
    raw = {**sn_records()[0], "made_sla": "false", "reopen_count": "2"}
    raw["sla_due"] = "2016-12-13 15:19:57"
    ticket = normalized(servicenow(), raw)
    assert ticket.sla_breached is True and ticket.reopen_count == 2
    assert ticket.due_at == datetime(2016, 12, 13, 15, 19, 57, tzinfo=UTC)


def test_servicenow_without_made_sla_is_unknown_and_keeps_its_sla_due() -> None:
    ticket = normalized(servicenow(), sn_records()[1])  # INC0000046: no made_sla, sla_due set
    assert ticket.sla_breached is None and ticket.reopen_count is None
    assert ticket.due_at == datetime(2015, 11, 11, 22, 4, 15, tzinfo=UTC)


def test_servicenow_due_date_when_there_is_no_sla_due_and_garbled_values_are_quarantined() -> None:
    raw = {**sn_records()[0], "due_date": "2016-12-20 09:00:00"}
    assert normalized(servicenow(), raw).due_at == datetime(2016, 12, 20, 9, tzinfo=UTC)
    garbled = servicenow().normalize({**sn_records()[0], "made_sla": "maybe"})
    assert isinstance(garbled, Rejected) and "made_sla" in garbled.reason
    bad_due = servicenow().normalize({**sn_records()[0], "sla_due": "tomorrow"})
    assert isinstance(bad_due, Rejected) and "sla_due" in bad_due.reason


def test_servicenow_sla_source_option_is_checked() -> None:
    try:
        servicenow(sla_source="guess")
    except ConfigurationError as exc:
        assert "sla_source" in str(exc)
    else:
        raise AssertionError("a bad sla_source was accepted")


def test_servicenow_task_sla_is_read_with_one_request_a_page(
    start_fake: Any, make_connector: Any
) -> None:
    records = sn_records()
    met, unknown = records[0]["sys_id"], records[1]["sys_id"]
    fake = start_fake(ServiceNowFake, records)
    fake.tables["task_sla"] = [
        # INC0000060 made_sla "true", but its resolution SLA breached: task_sla decides.
        {"sys_id": "s1", "task": met, "has_breached": "false", "stage": "completed",
         "planned_end_time": "2016-12-12 23:19:57"},
        {"sys_id": "s2", "task": met, "has_breached": "true", "stage": "breached",
         "planned_end_time": "2016-12-13 15:19:57"},
        {"sys_id": "s3", "task": "someone-else", "has_breached": "true", "stage": "breached",
         "planned_end_time": "2016-12-01 00:00:00"},
    ]  # fmt: skip
    connector = make_connector(
        ConnectorConfig(
            kind="servicenow", base_url=fake.base_url, username="svc", secret="pw",
            allow_private_networks=True, options={"sla_source": "task_sla"},
        )
    )  # fmt: skip
    pages = list(connector.fetch_pages(None))
    tickets = {t.external_id: t for p in pages for t in p.tickets}
    assert tickets[met].sla_breached is True
    assert tickets[met].due_at == datetime(2016, 12, 12, 23, 19, 57, tzinfo=UTC)  # earliest
    assert tickets[unknown].sla_breached is None  # no task_sla row, no made_sla
    sla_reads = fake.requests_to("/task_sla")
    assert len(sla_reads) == len(pages)
    query = sla_reads[0].param("sysparm_query")
    assert query.startswith("taskIN") and met in query and unknown in query


def test_servicenow_reads_made_sla_without_the_option(start_fake: Any, make_connector: Any) -> None:
    fake = start_fake(ServiceNowFake, sn_records())
    connector = make_connector(
        ConnectorConfig(
            kind="servicenow", base_url=fake.base_url, username="svc", secret="pw",
            allow_private_networks=True,
        )
    )  # fmt: skip
    tickets = [t for p in connector.fetch_pages(None) for t in p.tickets]
    assert {t.key: t.sla_breached for t in tickets} == {"INC0000060": False, "INC0000046": None}
    assert fake.requests_to("/task_sla") == []
    fields = fake.requests_to("/incident")[0].param("sysparm_fields").split(",")
    assert {"made_sla", "reopen_count", "sla_due", "due_date"} <= set(fields)


# --- Jira Service Management --------------------------------------------------------------

# The SLA field value of JSM (SlaInformation: id, name, ongoingCycle, completedCycles; a
# cycle's breachTime carries epochMillis, iso8601, jira and friendly).
ONGOING_WITHIN = {
    "id": "1",
    "name": "Time to resolution",
    "completedCycles": [],
    "ongoingCycle": {
        "breached": False,
        "paused": False,
        "withinCalendarHours": False,
        "startTime": {"epochMillis": 1772441100000, "iso8601": "2026-03-02T09:45:00+0100"},
        "breachTime": {"epochMillis": 1772470800000, "iso8601": "2026-03-02T18:00:00+0100"},
        "goalDuration": {"millis": 28800000, "friendly": "8h"},
    },
}
COMPLETED_MET = {
    "id": "2",
    "name": "Time to first response",
    "completedCycles": [
        {"breached": False, "breachTime": {"epochMillis": 1772445000000},
         "stopTime": {"epochMillis": 1772442000000}},
    ],
}  # fmt: skip
COMPLETED_BREACHED = {
    "id": "1",
    "name": "Time to resolution",
    "completedCycles": [
        {"breached": False, "stopTime": {"epochMillis": 1772442000000}},
        {"breached": True, "stopTime": {"epochMillis": 1772499000000}},
    ],
}


def jira_issue(**sla_fields: Any) -> dict[str, Any]:
    issue = copy.deepcopy(load_fixture("jira", "issues_equal_timestamps")["issues"][0])
    issue["fields"].update(sla_fields)
    return issue


def jira(**options: Any) -> JiraConnector:
    return JiraConnector(
        ConnectorConfig(
            kind="jira", base_url="https://acme.atlassian.net", username="bot@acme.example",
            secret="t", options=options,
        )
    )  # fmt: skip


def test_jsm_sla_fields_met_breached_and_unknown() -> None:
    options = {"sla_fields": ["customfield_10030", "customfield_10031"]}
    met = normalized(jira(**options), jira_issue(customfield_10031=COMPLETED_MET))
    assert met.sla_breached is False and met.due_at is None
    running = normalized(
        jira(**options),
        jira_issue(customfield_10030=ONGOING_WITHIN, customfield_10031=COMPLETED_MET),
    )
    assert running.sla_breached is False
    assert running.due_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 18:00 +0100
    breached = normalized(
        jira(**options),
        jira_issue(customfield_10030=COMPLETED_BREACHED, customfield_10031=COMPLETED_MET),
    )
    assert breached.sla_breached is True
    late = {**ONGOING_WITHIN, "ongoingCycle": {**ONGOING_WITHIN["ongoingCycle"], "breached": True}}
    assert normalized(jira(**options), jira_issue(customfield_10030=late)).sla_breached is True
    # No SLA field on the issue, or no SLA fields configured: unknown.
    assert normalized(jira(**options), jira_issue()).sla_breached is None
    assert normalized(jira(), jira_issue(customfield_10030=COMPLETED_BREACHED)).sla_breached is None
    # Not started: no cycle at all.
    empty = {"id": "1", "name": "Time to resolution", "completedCycles": []}
    assert normalized(jira(**options), jira_issue(customfield_10030=empty)).sla_breached is None


def test_jsm_garbled_sla_field_is_quarantined_with_the_field() -> None:
    options = {"sla_fields": ["customfield_10030"]}
    rejected = jira(**options).normalize(jira_issue(customfield_10030="8h left"))
    assert isinstance(rejected, Rejected) and "customfield_10030" in rejected.reason


def test_jsm_sla_fields_are_requested(start_fake: Any, make_connector: Any) -> None:
    issues = [jira_issue(customfield_10030=COMPLETED_BREACHED)]
    fake = start_fake(JiraFake, issues, time_zone="UTC")
    connector = make_connector(
        ConnectorConfig(
            kind="jira", base_url=fake.base_url, username="bot@acme.example", secret="api-token",
            query="project = LEND", allow_private_networks=True,
            options={"time_zone": "UTC", "sla_fields": ["customfield_10030"]},
        )
    )  # fmt: skip
    tickets = [t for p in connector.fetch_pages(None) for t in p.tickets]
    assert [t.sla_breached for t in tickets] == [True]  # the fake returns only what is asked
    assert "customfield_10030" in fake.requests_to("/search/jql")[0].param("fields").split(",")


# --- Request Tracker ----------------------------------------------------------------------


def rt_ticket(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(load_fixture("rt", "ticket_2")["body"]), **changes}


def rt() -> RequestTrackerConnector:
    return RequestTrackerConnector(
        ConnectorConfig(kind="rt", base_url="http://rt.example", auth_type="token", secret="1-2-x")
    )


def test_rt_due_against_resolved_and_not_set() -> None:
    # The verified RT 5 ticket: Due "1970-01-01T00:00:00Z" is RT's "not set".
    assert normalized(rt(), rt_ticket()).sla_breached is None
    assert normalized(rt(), rt_ticket()).due_at is None
    met = normalized(rt(), rt_ticket(Due="2026-11-26T08:00:00Z"))  # resolved 07:16:37
    assert met.sla_breached is False
    assert met.due_at == datetime(2026, 11, 26, 8, tzinfo=UTC)
    late = normalized(rt(), rt_ticket(Due="2026-11-26T07:00:00Z"))
    assert late.sla_breached is True


def test_rt_active_ticket_against_now() -> None:
    active = {"Status": "open", "Resolved": "1970-01-01T00:00:00Z"}
    overdue = normalized(rt(), rt_ticket(Due="2020-01-01T00:00:00Z", **active))
    assert overdue.sla_breached is True
    not_yet = normalized(rt(), rt_ticket(Due="2999-01-01T00:00:00Z", **active))
    assert not_yet.sla_breached is None and not_yet.due_at is not None
    assert isinstance(rt().normalize(rt_ticket(Due="soon")), Rejected)


# --- the generic (push) shape -------------------------------------------------------------

GENERIC = {
    "external_id": "77",
    "key": "RT#77",
    "status_category": "resolved",
    "priority": 1,
    "updated_at": "2026-11-26T09:00:00Z",
    "resolved_at": "2026-11-26T09:00:00Z",
}


def test_generic_shape_accepts_the_sla_fields() -> None:
    ticket = parse_generic(
        {**GENERIC, "sla_breached": False, "due_at": "2026-11-26T10:00:00Z", "reopen_count": 1}
    )
    assert (ticket.sla_breached, ticket.reopen_count) == (False, 1)
    assert ticket.due_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    plain = parse_generic(GENERIC)
    assert (plain.sla_breached, plain.due_at, plain.reopen_count) == (None, None, None)


def test_generic_shape_quarantines_bad_sla_values_with_the_reason() -> None:
    for field, value in [
        ("sla_breached", "yes"),
        ("sla_breached", 1),
        ("due_at", "next week"),
        ("reopen_count", -1),
        ("reopen_count", True),
    ]:
        push = parse_push({**GENERIC, field: value}, connector=None)
        assert isinstance(push.ticket, Rejected), (field, value)
        assert field in push.ticket.reason and push.ticket.external_id == "77"


def test_jira_duedate_is_the_deadline_without_an_sla_clock() -> None:
    dated = normalized(jira(), jira_issue(duedate="2026-03-10"))
    assert dated.due_at == datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    assert dated.sla_breached is None  # a due date alone is no SLA result
    assert normalized(jira(), jira_issue(duedate="soon")).due_at is None
