"""Fixtures for the connector contract suite: one harness per tool, fakes on 127.0.0.1."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.connectors import Connector, ConnectorConfig, connector_for

from .fakes import FakeSource, JiraFake, Reply, RTFake, ServiceNowFake, load_fixture


class SleepRecorder:
    """The injected sleep: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@dataclass
class Harness:
    """What the shared contract tests need to know about one tool."""

    tool: str
    fake_class: Callable[..., FakeSource]
    records_key: str  # envelope key of the dataset fixtures ("result", "issues", "items")
    config_kwargs: dict[str, Any]
    recorded_page: list[Any]  # real captured/documented records
    rate_limited: Reply
    bump: Callable[[dict[str, Any]], None]  # make a record look updated later
    id_of: Callable[[dict[str, Any]], str]
    garbled_good_ids: tuple[str, ...]
    garbled_rejected: int

    def dataset(self, scenario: str) -> list[Any]:
        return copy.deepcopy(load_fixture(self.tool, scenario)[self.records_key])

    def config(self, base_url: str, **overrides: Any) -> ConnectorConfig:
        kwargs = {
            "kind": self.tool,
            "base_url": base_url,
            "allow_private_networks": True,
            "page_size": 3,
            **self.config_kwargs,
            **overrides,
        }
        return ConnectorConfig(**kwargs)


def _sn_bump(record: dict[str, Any]) -> None:
    record["sys_updated_on"] = "2026-03-02 10:00:00"
    record["state"] = "6"


def _jira_bump(issue: dict[str, Any]) -> None:
    issue["fields"]["updated"] = "2026-03-02T11:00:00.000+0100"


def _rt_bump(ticket: dict[str, Any]) -> None:
    ticket["LastUpdated"] = "2026-11-26T13:00:00Z"
    ticket["Status"] = "resolved"


HARNESSES = {
    "servicenow": Harness(
        tool="servicenow",
        fake_class=ServiceNowFake,
        records_key="result",
        config_kwargs={"username": "svc", "secret": "pw"},
        recorded_page=load_fixture("servicenow", "incident_page_1")["result"],
        rate_limited=Reply.from_fixture("servicenow", "rate_limited_429"),
        bump=_sn_bump,
        id_of=lambda r: r["sys_id"],
        garbled_good_ids=(
            "00004e21c611227500a7b7ff98cc0dc7",
            "00004e28c611227500a7b7ff98cc0dc7",
        ),
        garbled_rejected=6,
    ),
    "jira": Harness(
        tool="jira",
        fake_class=JiraFake,
        records_key="issues",
        config_kwargs={
            "username": "bot@acme.example",
            "secret": "api-token",
            "query": "project = LEND",
        },
        recorded_page=load_fixture("jira", "search_jql_page_1")["body"]["issues"],
        rate_limited=Reply.from_fixture("jira", "rate_limited_429"),
        bump=_jira_bump,
        id_of=lambda i: i["id"],
        garbled_good_ids=("16101", "16107"),
        garbled_rejected=6,
    ),
    "rt": Harness(
        tool="rt",
        fake_class=RTFake,
        records_key="items",
        config_kwargs={
            "auth_type": "token",
            "username": "cataligent",
            "secret": "1-14-0123456789abcdef0123456789abcdef",
        },
        recorded_page=load_fixture("rt", "tickets_page_1")["body"]["items"],
        # RT documents no rate limit of its own; a proxy in front of it may send this.
        rate_limited=Reply(429, {"message": "Too Many Requests"}, {"Retry-After": "7"}),
        bump=_rt_bump,
        id_of=lambda t: str(t["id"]),
        garbled_good_ids=("201", "207"),
        garbled_rejected=6,
    ),
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param]


@pytest.fixture
def start_fake() -> Iterator[Callable[..., FakeSource]]:
    started: list[FakeSource] = []

    def start(factory: Callable[..., FakeSource], *args: Any, **kwargs: Any) -> FakeSource:
        fake = factory(*args, **kwargs)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


@pytest.fixture
def make_connector(sleeps: SleepRecorder) -> Iterator[Callable[[ConnectorConfig], Connector]]:
    made: list[Connector] = []

    def make(config: ConnectorConfig) -> Connector:
        connector = connector_for(config, sleep=sleeps)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
