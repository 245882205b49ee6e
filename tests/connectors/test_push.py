"""Webhook bodies read by each connector's own envelope (integrations/connectors/push.py)."""

from __future__ import annotations

import json
from pathlib import Path

from integrations.connectors import ConnectorConfig, NormalizedTicket, Rejected, connector_for
from integrations.connectors.push import parse_push

FIXTURES = Path(__file__).parent / "fixtures"
GENERIC = {
    "external_id": "77",
    "status_category": "open",
    "priority": 2,
    "updated_at": "2026-11-26T09:00:00Z",
}


def _jira():  # type: ignore[no-untyped-def]
    return connector_for(
        ConnectorConfig(kind="jira", base_url="https://x.atlassian.net", secret="t", username="u")
    )


def _servicenow():  # type: ignore[no-untyped-def]
    return connector_for(
        ConnectorConfig(kind="servicenow", base_url="https://x.service-now.com", secret="s")
    )


def test_jira_events_are_read_by_the_jira_connector() -> None:
    issue = json.loads((FIXTURES / "jira" / "search_jql_page_1.json").read_text())["body"][
        "issues"
    ][0]
    with _jira() as jira:
        created = parse_push({"webhookEvent": "jira:issue_created", "issue": issue}, connector=jira)
        deleted = parse_push({"webhookEvent": "jira:issue_deleted", "issue": issue}, connector=jira)
        unknown = parse_push({"webhookEvent": "jira:worklog_updated", "issue": {}}, connector=jira)
    assert isinstance(created.ticket, NormalizedTicket)
    assert created.ticket.external_id == issue["id"]
    assert deleted.deleted_id == issue["id"] and deleted.ticket is None
    assert (
        isinstance(unknown.ticket, Rejected) and "unsupported Jira event" in unknown.ticket.reason
    )


def test_servicenow_reads_the_record_bare_or_under_result_and_any_reads_the_generic_shape() -> None:
    with _servicenow() as servicenow:
        wrapped = parse_push({"result": {"sys_id": "abc"}}, connector=servicenow)
        generic = parse_push(GENERIC, connector=servicenow)
    assert isinstance(wrapped.ticket, Rejected) and wrapped.ticket.external_id == "abc"
    assert isinstance(generic.ticket, NormalizedTicket) and generic.ticket.external_id == "77"
    # A connector that cannot be built still takes the generic shape, and only that.
    assert isinstance(parse_push(GENERIC, connector=None).ticket, NormalizedTicket)
    refused = parse_push({"sys_id": "abc"}, connector=None).ticket
    assert isinstance(refused, Rejected) and "misconfigured" in refused.reason


def test_a_body_that_is_not_an_object_is_rejected_with_the_reason() -> None:
    push = parse_push([1, 2], connector=None)
    assert isinstance(push.ticket, Rejected) and "JSON object" in push.ticket.reason
