"""A ticket's URL from a source: only http(s) is kept, and the ticket is kept without it."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from integrations.connectors import ConnectorConfig, NormalizedTicket
from integrations.connectors.jira import JiraConnector
from integrations.connectors.normalizing import within_limits
from integrations.connectors.ticket_urls import http_url, url_problem

FIXTURES = Path(__file__).parent / "fixtures"

HOSTILE = [
    "javascript:alert(document.cookie)//",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/x",  # scheme-relative: whatever scheme our page has
    "/admin/",  # relative: resolves against Cataligent itself
    "file:///etc/passwd",
    "https://",
    "http:///",
    "mailto:ops@example.com",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_anything_but_an_http_url_is_refused(url: str) -> None:
    assert http_url(url) is None
    assert url_problem(url)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://x.atlassian.net/browse/LEND-1", "https://x.atlassian.net/browse/LEND-1"),
        (
            "http://rt.example/Ticket/Display.html?id=7",
            "http://rt.example/Ticket/Display.html?id=7",
        ),
        ("  HTTPS://Bank.service-now.com/x  ", "HTTPS://Bank.service-now.com/x"),
    ],
)
def test_http_urls_are_kept(url: str, kept: str) -> None:
    assert http_url(url) == kept
    assert url_problem(url) is None


def test_no_url_is_no_problem() -> None:
    assert url_problem("") is None


def _jira_issue() -> dict[str, object]:
    body = json.loads((FIXTURES / "jira" / "search_jql_page_1.json").read_text())["body"]
    return body["issues"][0]


class HostileLinkJira(JiraConnector):
    """A source whose records carry a `javascript:` link (a custom URL field, a proxy)."""

    def _normalize(self, raw: object) -> NormalizedTicket:
        ticket = super()._normalize(raw)
        return dataclasses.replace(ticket, url="javascript:alert(document.cookie)//")


def test_a_pulled_ticket_with_a_bad_url_is_kept_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connector = HostileLinkJira(
        ConnectorConfig(kind="jira", base_url="https://x.example", secret="token")
    )
    issue = _jira_issue()
    with caplog.at_level(logging.WARNING, logger="integrations.connectors.normalizing"):
        ticket = connector.normalize(issue)
    assert isinstance(ticket, NormalizedTicket), ticket
    assert ticket.url == ""
    assert ticket.key == issue["key"] and ticket.raw == issue
    assert "not an http(s) address" in caplog.text and issue["key"] in caplog.text


def test_within_limits_trims_a_good_url_and_leaves_the_rest() -> None:
    ticket = JiraConnector(
        ConnectorConfig(kind="jira", base_url="https://x.example", secret="token")
    ).normalize(_jira_issue())
    assert isinstance(ticket, NormalizedTicket)
    assert within_limits(ticket) is ticket  # the common case: no copy
    padded = dataclasses.replace(ticket, url=f" {ticket.url} ")
    assert within_limits(padded).url == ticket.url
