"""The GitHub connector on its own, against the fake over real HTTP: the mapping, the
configuration, GraphQL errors, the rate limits and the webhook envelope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors import (
    ConfigurationError,
    ConnectorConfig,
    ConnectorError,
    connector_for,
)
from integrations.connectors.base import NormalizedTicket, RecordRejected, Rejected
from integrations.connectors.errors import (
    AuthenticationError,
    RateLimitedError,
    RequestRejectedError,
)
from integrations.connectors.github import GitHubConnector

from .conftest import SleepRecorder
from .fakes import Reply
from .github_fake import TOKEN, GitHubFake, issue, webhook_issue

AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


@pytest.fixture
def fake() -> Iterator[GitHubFake]:
    server = GitHubFake(
        [
            issue(1, AT, labels=("P1", "bug"), milestone="v2.0", assignees=("ada", "grace")),
            issue(2, AT + timedelta(minutes=1), state="CLOSED", labels=("Blocker",)),
            issue(3, AT + timedelta(minutes=2), state="CLOSED", reason="NOT_PLANNED"),
        ]
    )
    yield server
    server.close()


def _connector(fake: GitHubFake, **overrides: Any) -> GitHubConnector:
    values: dict[str, Any] = {
        "kind": "github",
        "base_url": fake.base_url,
        "auth_type": "bearer",
        "secret": TOKEN,
        "query": "acme/widgets",
        "blocker_labels": ("blocker",),
        "allow_private_networks": True,
        **overrides,
    }
    sleep = values.pop("sleep", SleepRecorder())
    connector = connector_for(ConnectorConfig(**values), sleep=sleep)
    assert isinstance(connector, GitHubConnector)
    return connector


def _tickets(connector: GitHubConnector) -> dict[str, NormalizedTicket]:
    return {t.key: t for page in connector.fetch_pages(None) for t in page.tickets}


def test_issues_map_to_tickets(fake: GitHubFake) -> None:
    with _connector(fake) as connector:
        tickets = _tickets(connector)
    one, two, three = (tickets[f"acme/widgets#{n}"] for n in (1, 2, 3))
    assert (one.external_id, one.status_category, one.priority, one.is_blocker) == (
        "I_kwDOAcme00001",
        "open",
        1,
        False,
    )
    assert (one.assignee, one.assignment_group, one.components, one.labels, one.ci) == (
        "ada",
        None,
        ("v2.0",),
        ("P1", "bug"),
        "acme/widgets",
    )
    assert one.url == "https://github.com/acme/widgets/issues/1" and one.resolved_at is None
    assert (two.status_raw, two.status_category, two.priority, two.is_blocker) == (
        "closed",
        "closed",
        3,  # no priority label: the default
        True,  # "Blocker" matches "blocker" whatever the case
    )
    assert two.resolved_at == AT + timedelta(minutes=1)
    assert (three.status_raw, three.status_category) == ("not_planned", "cancelled")
    request = fake.requests[0]
    assert (request.method, request.path) == ("POST", "/graphql")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake.queries[0]["variables"] == {
        "owner": "acme",
        "name": "widgets",
        "since": None,
        "first": 100,
        "cursor": None,
    }


def test_label_priorities_and_the_default_are_configurable(fake: GitHubFake) -> None:
    fake.add(issue(4, AT, labels=("sev2", "P4")))
    with _connector(
        fake, priority_map={"SEV2": 2}, options={"default_priority": 5}, auth_type="token"
    ) as connector:
        tickets = _tickets(connector)
    assert tickets["acme/widgets#4"].priority == 2  # the highest of the labels named
    assert tickets["acme/widgets#2"].priority == 5
    assert fake.requests[0].headers["authorization"] == f"token {TOKEN}"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"query": ""}, "owner/name"),
        ({"query": "acme/widgets/extra"}, "owner/name"),
        ({"options": {"default_priority": 6}}, "between 1 and 5"),
        ({"options": {"priority_labels": {}}}, "unknown option"),
        ({"base_url": "https://ghe.example.com/api/v3"}, "https://HOST/api"),
        ({"auth_type": "basic"}, "supports auth"),
    ],
)
def test_configuration_errors_name_the_problem(
    fake: GitHubFake, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _connector(fake, **overrides)


def test_enterprise_server_posts_to_api_graphql() -> None:
    server = GitHubFake([issue(1, AT)], path="/api/graphql")
    try:
        with _connector(server, base_url=f"{server.base_url}/api") as connector:
            assert "acme/widgets#1" in _tickets(connector)
        assert {r.path for r in server.requests} == {"/api/graphql"}
    finally:
        server.close()


def test_errors_are_clear(fake: GitHubFake) -> None:
    not_found = pytest.raises(ConfigurationError, match="Could not resolve to a Repository")
    with _connector(fake, query="acme/nothing") as connector, not_found:
        list(connector.fetch_pages(None))
    with _connector(fake, secret="wrong") as connector, pytest.raises(AuthenticationError):
        connector.test_connection()
    with _connector(fake) as connector:
        assert connector.test_connection() == "Connected to GitHub: acme/widgets, open issues: 1."
    inside = {"type": "NOT_FOUND", "path": ["repository", "issues", "nodes", 0, "milestone"]}
    fake.inject(Reply(200, {"errors": [{**inside, "message": "Could not resolve a node"}]}))
    rejected = pytest.raises(RequestRejectedError, match="Could not resolve a node")
    with _connector(fake) as connector, rejected:
        list(connector.fetch_pages(None))
    # A path that is no list (a garbled answer) is no crash (it was a TypeError).
    fake.inject(Reply(200, {"errors": [{"type": "NOT_FOUND", "path": 7, "message": "odd"}]}))
    with _connector(fake) as connector, pytest.raises(RequestRejectedError, match="odd"):
        connector.test_connection()


def test_an_error_inside_one_issue_quarantines_that_issue_not_the_page(
    fake: GitHubFake,
) -> None:
    """GraphQL answers ``data`` beside ``errors``; an error whose path names one node of
    the page (``[..., "nodes", <i>, ...]``) is that issue's, not the page's."""
    page = fake.page(since=None, first=100, after=None)
    page["nodes"][1]["milestone"] = None
    page["nodes"][2] = None
    nodes_path = ["repository", "issues", "nodes"]
    errors = [
        {
            "type": "FORBIDDEN",
            "path": [*nodes_path, 1, "milestone"],
            "message": "Resource protected by organization SAML enforcement.",
        },
        {"type": "INTERNAL", "path": [*nodes_path, 2], "message": "Something went wrong"},
    ]
    answer = {"data": {"repository": {"issues": page}}, "errors": errors}
    fake.inject(Reply(200, answer))
    with _connector(fake) as connector:
        [first] = list(connector.fetch_pages(None))
    assert [t.key for t in first.tickets] == ["acme/widgets#1"]
    reasons = {r.external_id: r.reason for r in first.rejected}
    assert reasons == {
        fake.node(2)["id"]: "GitHub GraphQL could not read this issue: "
        "['milestone: Resource protected by organization SAML enforcement.']",
        None: "GitHub GraphQL could not read this issue: ['the issue: Something went wrong']",
    }
    # An error that names no issue still fails the page, data or not.
    fake.inject(Reply(200, {**answer, "errors": [*errors, {"message": "Timeout", "path": None}]}))
    with _connector(fake) as connector, pytest.raises(ConnectorError, match="; Timeout"):
        list(connector.fetch_pages(None))


def test_issues_sharing_a_time_at_page_edges_are_read_once(fake: GitHubFake) -> None:
    for number in range(10, 15):
        fake.add(issue(number, AT + timedelta(minutes=5)))
    with _connector(fake, page_size=2) as connector:
        pages = list(connector.fetch_pages(None))
    keys = [t.key for page in pages for t in page.tickets]
    assert sorted(keys) == sorted({*keys}) and len(keys) == 8
    assert len(fake.queries) == 4 and pages[-1].is_last


def test_a_graphql_rate_limit_waits_for_the_reset(fake: GitHubFake) -> None:
    fake.inject(fake.rate_limited(reset_in=7))
    sleeps = SleepRecorder()
    with _connector(fake, sleep=sleeps) as connector:
        assert len(_tickets(connector)) == 3
    assert len(sleeps.waits) == 1 and 5 <= sleeps.waits[0] <= 7


def test_a_rate_limit_past_the_wait_we_allow_fails_the_run_with_when(fake: GitHubFake) -> None:
    fake.inject(fake.rate_limited(reset_in=1800))
    with _connector(fake) as connector, pytest.raises(RateLimitedError) as caught:
        list(connector.fetch_pages(None))
    assert caught.value.retry_after is not None and caught.value.retry_after > 1700


@pytest.mark.parametrize(
    "reply",
    [
        # A secondary limit: 403 with retry-after.
        Reply(403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "6"}),
        Reply(429, {"message": "secondary rate limit"}, {"Retry-After": "6"}),
        # The primary limit as an HTTP status: remaining 0, reset an epoch second.
        Reply(
            403,
            {"message": "API rate limit exceeded"},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "{reset}"},
        ),
    ],
    ids=["secondary-403", "secondary-429", "primary-403"],
)
def test_rate_limited_statuses_are_waited_out(fake: GitHubFake, reply: Reply) -> None:
    if reply.headers.get("x-ratelimit-reset") == "{reset}":
        reply.headers["x-ratelimit-reset"] = str(int(datetime.now(UTC).timestamp()) + 6)
    fake.inject(reply)
    sleeps = SleepRecorder()
    with _connector(fake, sleep=sleeps) as connector:
        assert len(_tickets(connector)) == 3
    assert len(sleeps.waits) == 1 and 4 <= sleeps.waits[0] <= 6


def test_a_403_without_rate_limit_headers_is_an_authentication_error(fake: GitHubFake) -> None:
    fake.inject(Reply(403, {"message": "Resource not accessible by integration"}))
    with _connector(fake) as connector, pytest.raises(AuthenticationError):
        list(connector.fetch_pages(None))


def test_a_bad_record_is_rejected_with_its_reason(fake: GitHubFake) -> None:
    bad = issue(9, AT)
    bad["state"] = "MERGED"
    with _connector(fake) as connector:
        result = connector.normalize(bad)
    assert isinstance(result, Rejected) and result.external_id == "I_kwDOAcme00009"
    assert "unknown status 'merged'" in result.reason


def test_the_issues_webhook_envelope(fake: GitHubFake) -> None:
    node = issue(5, AT, labels=("P2",), milestone="v3", assignees=("linus",))
    body = {
        "action": "labeled",
        "issue": webhook_issue(node),
        "repository": {"full_name": "acme/widgets"},
    }
    with _connector(fake) as connector:
        action, record = connector.push_envelope(body)
        pushed, pulled = connector.normalize(record), connector.normalize(node)
        assert isinstance(pushed, NormalizedTicket) and action == "upsert"
        # A pushed issue is mirrored as the pulled one is.
        for name in ("external_id", "key", "url", "status_category", "priority", "labels"):
            assert getattr(pushed, name) == getattr(pulled, name), name
        assert (pushed.assignee, pushed.components) == ("linus", ("v3",))

        for gone in ("deleted", "transferred"):
            assert connector.push_envelope({**body, "action": gone}) == ("delete", node["id"])
        comment = {**body, "action": "deleted", "comment": {"id": 1}}
        assert connector.push_envelope(comment)[0] == "upsert"  # a comment went, not the issue
        pull = {"action": "opened", "pull_request": {"number": 6}, "repository": {}}
        assert connector.push_envelope(pull)[0] == "ignore"
        on_pr = {**body, "issue": {**webhook_issue(node), "pull_request": {"url": "x"}}}
        assert connector.push_envelope(on_pr)[0] == "ignore"
        assert connector.push_envelope({"zen": "Keep it simple.", "hook_id": 1})[0] == "ignore"
        assert connector.push_envelope({"ref": "refs/heads/main", "commits": []})[0] == "ignore"
        with pytest.raises(RecordRejected, match="'issue' is a list"):
            connector.push_envelope({"action": "opened", "issue": []})
        with pytest.raises(RecordRejected, match="not 'acme/widgets'"):
            connector.push_envelope({**body, "repository": {"full_name": "acme/other"}})
