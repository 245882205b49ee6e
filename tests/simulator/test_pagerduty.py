"""The simulated PagerDuty REST API v2, read by the real connector over HTTP, and its wire
format as integrations/connectors/pagerduty.py documents it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from integrations.connectors import ConnectorConfig, connector_for
from integrations.connectors.base import NormalizedTicket
from integrations.connectors.pagerduty import PagerDutyConnector
from integrations.simulator import (
    LENDING_API_CI,
    NOISE_ONLY,
    SimulatorServer,
    SimulatorStore,
    make_server,
)

from .conftest import NOW, fixed_store

KEY = "pagerduty-api-key"
HEADERS = {"Authorization": f"Token token={KEY}"}


@pytest.fixture
def live() -> Iterator[SimulatorServer]:
    """The demo's store on the real clock, as `make demo` serves it (the connector reads up
    to its source's Date, which is the real time)."""
    store = SimulatorStore(seed=5)
    store.preload(incidents=30, issues=0)
    with make_server("127.0.0.1", 0, store=store) as server:
        yield server


@pytest.fixture
def pagerduty(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client:
        yield client


def _connector(server: SimulatorServer, **overrides: Any) -> PagerDutyConnector:
    config = ConnectorConfig(
        kind="pagerduty",
        base_url=server.base_url,
        auth_type="token",
        secret=KEY,
        allow_private_networks=True,
        **overrides,
    )
    connector = connector_for(config)
    assert isinstance(connector, PagerDutyConnector)
    return connector


def test_the_connector_reads_the_storys_on_call_incidents(live: SimulatorServer) -> None:
    with _connector(live) as connector:
        assert connector.test_connection() == "Connected to PagerDuty: 2 open incidents."
        pages = list(connector.fetch_pages(None))
    assert not [r for page in pages for r in page.rejected]
    tickets = {t.key: t for page in pages for t in page.tickets}
    assert set(tickets) == {"PD-1001", "PD-1002", "PD-1003"}

    outage = tickets["PD-1001"]  # reassigned twice, acknowledged by the last responder
    assert (outage.status_raw, outage.status_category, outage.priority) == (
        "acknowledged",
        "in_progress",
        1,
    )
    assert (outage.ci, outage.assignee, outage.assignment_group) == (
        LENDING_API_CI,
        "Farid Rahimi",
        "Core Banking Support",
    )
    assert outage.url == f"{live.base_url}/pagerduty/incidents/{outage.external_id}"
    assert outage.is_active and outage.resolved_at is None
    assert timedelta(days=17) < datetime.now(UTC) - outage.opened_at < timedelta(days=19)

    paged = tickets["PD-1002"]  # resolved in the hour; PagerDuty clears its assignments
    assert (paged.status_category, paged.priority, paged.assignee) == ("resolved", 2, None)
    assert paged.resolved_at is not None and paged.opened_at is not None
    assert timedelta(minutes=40) < paged.resolved_at - paged.opened_at < timedelta(hours=1)
    waiting = tickets["PD-1003"]
    assert (waiting.status_raw, waiting.priority, waiting.ci) == (
        "triggered",
        4,
        "kyc-verification",
    )


def test_a_resolve_reaches_the_next_sync_through_the_log_entries(live: SimulatorServer) -> None:
    with _connector(live) as connector:
        pages = list(connector.fetch_pages(None))
    cursor = pages[-1].cursor
    waiting = next(t for p in pages for t in p.tickets if t.key == "PD-1003")

    with live.store.lock:  # the responder resolves it in PagerDuty
        live.store.pagerduty.change(waiting.external_id, "resolve", at=datetime.now(UTC))
    with _connector(live) as connector:
        again = [t for p in connector.fetch_pages(cursor) for t in p.tickets]
    changed: dict[str, NormalizedTicket] = {t.key: t for t in again}
    # Resolved, it is no longer in the open list: only the log names it.
    assert changed["PD-1003"].status_category == "resolved"
    assert changed["PD-1003"].resolved_at is not None


def test_authentication_and_errors_are_pagerdutys(server: SimulatorServer) -> None:
    for headers in ({}, {"Authorization": "Token token=wrong"}, {"Authorization": "Bearer x"}):
        answer = httpx.get(f"{server.base_url}/incidents", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": {"message": "Authentication Required", "code": 2006}}
    with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
        assert client.get("/incidents/NOPE").status_code == 404
        too_many = client.get("/incidents", params={"limit": 101})
        assert too_many.status_code == 400 and too_many.json()["error"]["code"] == 2001
        past_cap = client.get("/incidents", params={"limit": 100, "offset": 9_901})
        assert past_cap.status_code == 400
        wide = client.get(
            "/incidents", params={"since": "2023-01-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}
        )
        assert wide.status_code == 400 and "6 months" in wide.json()["error"]["errors"][0]


def test_the_list_filters_on_creation_and_pages_by_offset(pagerduty: httpx.Client) -> None:
    # The store's clock is NOW: PD-1003 was triggered 12 hours before, PD-1002 six days,
    # PD-1001 eighteen.
    everything = pagerduty.get("/incidents", params={"date_range": "all"}).json()
    assert [i["incident_number"] for i in everything["incidents"]] == [1001, 1002, 1003]
    assert everything["more"] is False and everything["total"] is None

    week = pagerduty.get(
        "/incidents",
        params={"since": (NOW - timedelta(days=7)).isoformat(), "until": NOW.isoformat()},
    ).json()
    assert [i["incident_number"] for i in week["incidents"]] == [1002, 1003]
    open_ones = pagerduty.get(
        "/incidents",
        params={"date_range": "all", "statuses[]": ["triggered", "acknowledged"]},
    ).json()
    assert {i["status"] for i in open_ones["incidents"]} == {"triggered", "acknowledged"}

    first = pagerduty.get("/incidents", params={"date_range": "all", "limit": 2}).json()
    rest = pagerduty.get("/incidents", params={"date_range": "all", "limit": 2, "offset": 2})
    assert first["more"] is True and rest.json()["more"] is False
    assert [i["incident_number"] for i in first["incidents"] + rest.json()["incidents"]] == [
        1001,
        1002,
        1003,
    ]


def test_one_incident_and_the_log(pagerduty: httpx.Client, server: SimulatorServer) -> None:
    listed = pagerduty.get("/incidents", params={"date_range": "all"}).json()["incidents"]
    outage = listed[0]
    one = pagerduty.get(f"/incidents/{outage['id']}").json()
    assert one == {"incident": outage}
    assert outage["html_url"] == f"{server.base_url}/pagerduty/incidents/{outage['id']}"
    assert outage["priority"]["summary"] == "P1" and outage["urgency"] == "high"

    log = pagerduty.get(
        "/log_entries",
        params={"since": (NOW - timedelta(days=20)).isoformat(), "until": NOW.isoformat()},
    ).json()["log_entries"]
    mine = [e["type"] for e in log if e["incident"]["id"] == outage["id"]]
    assert mine == [
        "trigger_log_entry",
        "escalate_log_entry",
        "acknowledge_log_entry",
        "assign_log_entry",
        "acknowledge_log_entry",
        "assign_log_entry",
        "acknowledge_log_entry",
    ]
    assert {e["incident"]["type"] for e in log} == {"incident_reference"}
    embedded = pagerduty.get(
        "/log_entries", params={"date_range": "all", "include[]": "incidents"}
    ).json()["log_entries"]
    assert {e["incident"]["type"] for e in embedded} == {"incident"}

    page = httpx.get(outage["html_url"])  # what "open in PagerDuty" shows, no key needed
    assert page.status_code == 200 and outage["title"] in page.text


def test_other_scenarios_have_no_pages_unless_given() -> None:
    store = fixed_store(incidents=10, issues=0)
    assert len(store.pagerduty.incidents) == 3
    quiet = SimulatorStore(seed=1, clock=lambda: NOW, scenario=NOISE_ONLY)
    quiet.preload(incidents=10, issues=0)
    assert quiet.pagerduty.incidents == {}
