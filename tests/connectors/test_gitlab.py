"""The GitLab connector on its own, against the fake over real HTTP: the mapping, the
configuration, GraphQL errors, the rate limit and the issue hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors import ConfigurationError, ConnectorConfig, connector_for
from integrations.connectors.base import NormalizedTicket, RecordRejected, Rejected
from integrations.connectors.errors import AuthenticationError, RequestRejectedError
from integrations.connectors.gitlab import GitLabConnector

from .conftest import SleepRecorder
from .fakes import Reply
from .gitlab_fake import PROJECT, TOKEN, GitLabFake, issue, issue_hook

AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


@pytest.fixture
def fake() -> Iterator[GitLabFake]:
    server = GitLabFake(
        [
            issue(1, AT, labels=("P2", "backend"), milestone="16.0", assignees=("ada",)),
            issue(2, AT + timedelta(minutes=1), state="closed", labels=("blocker",)),
            issue(3, AT + timedelta(minutes=2), state="locked"),
        ]
    )
    yield server
    server.close()


def _connector(fake: GitLabFake, **overrides: Any) -> GitLabConnector:
    values: dict[str, Any] = {
        "kind": "gitlab",
        "base_url": fake.base_url,
        "auth_type": "bearer",
        "secret": TOKEN,
        "query": PROJECT,
        "blocker_labels": ("blocker",),
        "allow_private_networks": True,
        **overrides,
    }
    sleep = values.pop("sleep", SleepRecorder())
    connector = connector_for(ConnectorConfig(**values), sleep=sleep)
    assert isinstance(connector, GitLabConnector)
    return connector


def _tickets(connector: GitLabConnector) -> dict[str, NormalizedTicket]:
    return {t.key: t for page in connector.fetch_pages(None) for t in page.tickets}


def test_issues_map_to_tickets(fake: GitLabFake) -> None:
    with _connector(fake) as connector:
        tickets = _tickets(connector)
    one, two, three = (tickets[f"{PROJECT}#{n}"] for n in (1, 2, 3))
    assert (one.external_id, one.status_category, one.priority, one.assignee) == (
        "5001",
        "open",
        2,
        "ada",
    )
    assert (one.labels, one.components, one.ci, one.assignment_group) == (
        ("P2", "backend"),
        ("16.0",),
        PROJECT,
        None,
    )
    assert one.url == f"https://gitlab.com/{PROJECT}/-/issues/1"
    assert (two.status_category, two.priority, two.is_blocker) == ("closed", 3, True)
    assert two.resolved_at == AT + timedelta(minutes=1)
    assert (three.status_raw, three.status_category) == ("locked", "open")
    request = fake.requests[0]
    assert (request.method, request.path) == ("POST", "/api/graphql")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake.queries[0]["variables"] == {
        "path": PROJECT,
        "since": None,
        "first": 100,
        "cursor": None,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"query": "widgets"}, "group/project"),
        ({"query": "acme//widgets"}, "group/project"),
        ({"auth_type": "token"}, "supports auth"),
        ({"options": {"default_priority": 0}}, ">= 1"),
    ],
)
def test_configuration_errors_name_the_problem(
    fake: GitLabFake, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _connector(fake, **overrides)


def test_errors_are_clear(fake: GitLabFake) -> None:
    unknown = pytest.raises(ConfigurationError, match="no project 'acme/nothing'")
    with _connector(fake, query="acme/nothing") as connector, unknown:
        list(connector.fetch_pages(None))
    with _connector(fake, secret="wrong") as connector, pytest.raises(AuthenticationError):
        connector.test_connection()
    with _connector(fake) as connector:
        assert connector.test_connection() == f"Connected to GitLab: {PROJECT}, open issues: 1."
    fake.inject(Reply(200, {"errors": [{"message": "Query has complexity of 301, which "
                                        "exceeds max complexity of 250"}]}))  # fmt: skip
    lower = pytest.raises(ConfigurationError, match="lower the connector's page size")
    with _connector(fake) as connector, lower:
        list(connector.fetch_pages(None))
    fake.inject(Reply(200, {"errors": [{"message": "Field 'x' doesn't exist on type 'Issue'"}]}))
    with _connector(fake) as connector, pytest.raises(RequestRejectedError, match="'x'"):
        list(connector.fetch_pages(None))


def test_issues_sharing_a_time_at_page_edges_are_read_once(fake: GitLabFake) -> None:
    for iid in range(10, 15):
        fake.add(issue(iid, AT + timedelta(minutes=5)))
    with _connector(fake, page_size=2) as connector:
        pages = list(connector.fetch_pages(None))
    keys = [t.key for page in pages for t in page.tickets]
    assert sorted(keys) == sorted({*keys}) and len(keys) == 8
    assert len(fake.queries) == 4 and pages[-1].is_last


def test_a_429_waits_the_retry_after(fake: GitLabFake) -> None:
    fake.inject(fake.throttled(retry_after=4))
    sleeps = SleepRecorder()
    with _connector(fake, sleep=sleeps) as connector:
        assert len(_tickets(connector)) == 3
    assert sleeps.waits == [4.0]


def test_a_bad_record_is_rejected_with_its_reason(fake: GitLabFake) -> None:
    bad = issue(9, AT)
    bad["id"] = "gid://gitlab/WorkItem/9"
    with _connector(fake) as connector:
        result = connector.normalize(bad)
    assert isinstance(result, Rejected)
    assert "not a GitLab issue id" in result.reason


def test_the_issue_hook(fake: GitLabFake) -> None:
    node = issue(5, AT, labels=("P1",), assignees=("linus",))
    with _connector(fake) as connector:
        action, record = connector.push_envelope(issue_hook(node, action="open"))
        pushed, pulled = connector.normalize(record), connector.normalize(node)
        assert isinstance(pushed, NormalizedTicket) and action == "upsert"
        for name in ("external_id", "key", "url", "status_category", "priority", "labels"):
            assert getattr(pushed, name) == getattr(pulled, name), name
        assert (pushed.updated_at, pushed.assignee, pushed.components) == (AT, "linus", ())
        assert not fake.queries  # no milestone: the hook alone is enough
        assert connector.push_envelope({"object_kind": "merge_request"})[0] == "ignore"
        with pytest.raises(RecordRejected, match="no 'object_kind'"):
            connector.push_envelope({"issue": {}})
        other = issue_hook(node)
        other["project"]["path_with_namespace"] = "acme/other"
        with pytest.raises(RecordRejected, match="not 'acme/platform/widgets'"):
            connector.push_envelope(other)


def test_an_issue_hook_with_a_milestone_reads_the_issue_back(fake: GitLabFake) -> None:
    """The hook names the milestone by id only: mirrored from the hook alone, the ticket
    would lose its component (the milestone) until the issue changed again."""
    node = issue(5, AT, labels=("P1",), assignees=("linus",), milestone="16.1")
    fake.add(node)
    hook = issue_hook(node, action="update")
    assert hook["object_attributes"]["milestone_id"] == 7
    with _connector(fake) as connector:
        action, record = connector.push_envelope(hook)
        pushed = connector.normalize(record)
        assert action == "upsert" and isinstance(pushed, NormalizedTicket)
        assert (pushed.key, pushed.components) == (f"{PROJECT}#5", ("16.1",))
        assert fake.queries[-1]["variables"] == {"path": PROJECT, "iid": "5"}
        # Gone since, or GitLab unreachable: quarantined with the reason, not guessed.
        fake.delete(5)
        with pytest.raises(RecordRejected, match="no issue 5 in 'acme/platform/widgets'"):
            connector.push_envelope(hook)
        fake.inject(Reply(502, "Bad Gateway"), *[Reply(502, "Bad Gateway")] * 5)
        with pytest.raises(RecordRejected, match="could not be read back"):
            connector.push_envelope(issue_hook(issue(1, AT, milestone="16.0")))
