"""Injected faults: 429 with Retry-After, 500, slow answers, garbled records."""

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from integrations.simulator import Faults, SimulatorServer, make_server

from .conftest import JIRA_AUTH, SERVICENOW_AUTH, fixed_store

INCIDENTS = "/api/now/table/incident"
SEARCH = "/rest/api/3/search/jql"


@pytest.fixture
def faulty() -> Iterator[SimulatorServer]:
    with make_server(store=fixed_store(), faults=Faults(retry_after=7)) as server:
        yield server


def test_queued_rate_limit_then_success(faulty: SimulatorServer) -> None:
    faulty.injector.queue("rate_limited")
    with httpx.Client(base_url=faulty.base_url, auth=SERVICENOW_AUTH) as client:
        limited = client.get(INCIDENTS, params={"sysparm_limit": 1})
        ok = client.get(INCIDENTS, params={"sysparm_limit": 1})

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["X-RateLimit-Reset"].isdigit()  # ServiceNow: UNIX seconds
    assert limited.json()["status"] == "failure"
    assert ok.status_code == 200


def test_jira_rate_limit_headers(faulty: SimulatorServer) -> None:
    faulty.injector.queue("rate_limited")

    limited = httpx.get(
        f"{faulty.base_url}{SEARCH}", params={"jql": "project = LEND"}, auth=JIRA_AUTH
    )

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    # Jira: an ISO-8601 timestamp, not epoch (reference §2).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", limited.headers["X-RateLimit-Reset"])
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"


def test_authentication_comes_before_faults(faulty: SimulatorServer) -> None:
    faulty.injector.queue("server_error")

    unauthenticated = httpx.get(f"{faulty.base_url}{INCIDENTS}")
    faulted = httpx.get(f"{faulty.base_url}{INCIDENTS}", auth=SERVICENOW_AUTH)

    assert unauthenticated.status_code == 401
    assert faulted.status_code == 500
    assert faulted.json()["error"]["message"] == "Internal server error"


def test_slow_responses(faulty: SimulatorServer) -> None:
    faulty.injector.configure(Faults(slow=1.0, slow_seconds=0.3))

    started = time.monotonic()
    response = httpx.get(f"{faulty.base_url}{INCIDENTS}", auth=SERVICENOW_AUTH, timeout=5)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fractions_are_seeded_and_repeatable() -> None:
    def statuses() -> list[int]:
        faults = Faults(rate_limited=0.2, server_errors=0.2)
        with (
            make_server(store=fixed_store(), faults=faults) as server,
            httpx.Client(base_url=server.base_url, auth=SERVICENOW_AUTH) as client,
        ):
            return [
                client.get(INCIDENTS, params={"sysparm_limit": 1}).status_code for _ in range(40)
            ]

    first, second = statuses(), statuses()

    assert first == second
    assert {200, 429, 500} <= set(first)


def test_garbled_records_keep_their_place_and_stay_garbled(faulty: SimulatorServer) -> None:
    faulty.injector.configure(Faults(garbled=0.2))
    query = "sys_updated_on>=2000-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id"
    total = len(faulty.store.incidents)

    def fetch() -> list[object]:
        records: list[object] = []
        with httpx.Client(base_url=faulty.base_url, auth=SERVICENOW_AUTH) as client:
            for offset in range(0, total, 100):
                page = client.get(
                    INCIDENTS,
                    params={"sysparm_query": query, "sysparm_limit": 100, "sysparm_offset": offset},
                )
                records += page.json()["result"]
        return records

    first, second = fetch(), fetch()

    assert first == second  # the same records are broken on a retry
    assert len(first) == total  # garbling never shifts a page
    broken = [
        r
        for r in first
        if not isinstance(r, dict)
        or "sys_id" not in r
        or not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(r.get("sys_updated_on")))
        or not isinstance(r.get("priority"), str)
    ]
    assert 0.1 * total < len(broken) < 0.3 * total
    assert any(isinstance(r, str) for r in broken)


def test_faults_can_be_changed_over_http(faulty: SimulatorServer) -> None:
    changed = httpx.put(f"{faulty.base_url}/_simulator/faults", json={"server_errors": 1.0})
    failing = httpx.get(f"{faulty.base_url}{INCIDENTS}", auth=SERVICENOW_AUTH)
    rejected = httpx.put(f"{faulty.base_url}/_simulator/faults", json={"server_errors": 2})
    status = httpx.get(f"{faulty.base_url}/_simulator/status").json()

    assert changed.status_code == 200
    assert failing.status_code == 500
    assert rejected.status_code == 400
    assert status["injected"]["server_error"] == 1
