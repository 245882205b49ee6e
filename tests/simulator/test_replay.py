"""Replaying the real incident log (a sample in tests/fixtures) into the simulated ServiceNow."""

import csv
import gzip
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path

import httpx
import pytest

from integrations.simulator import (
    NOISE_ONLY,
    IncidentLogReplay,
    SimulatorServer,
    SimulatorStore,
    make_server,
    replay_incident_log,
)

from .conftest import NOW, SERVICENOW_AUTH

SAMPLE = "servicenow_incident_event_log_sample.csv.gz"
ROWS = 3000
INCIDENTS = "/api/now/table/incident"


@pytest.fixture(scope="module")
def log() -> Path:
    """The first 3,000 events of the real log, carried in tests/fixtures (CC BY 4.0)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / SAMPLE
    assert path.is_file(), f"missing test fixture {path}"
    return path


@pytest.fixture
def empty_store() -> SimulatorStore:
    store = SimulatorStore(seed=1, clock=lambda: NOW, scenario=NOISE_ONLY)
    store.preload(incidents=0)
    return store


@pytest.fixture
def replayed(log: Path, empty_store: SimulatorStore) -> Iterator[SimulatorServer]:
    replay_incident_log(empty_store, log, limit=ROWS)
    with make_server(store=empty_store) as server:
        yield server


def first_rows(log: Path, count: int) -> list[dict[str, str]]:
    with gzip.open(log, "rt", newline="") as handle:
        return list(islice(csv.DictReader(handle), count))


def test_replay_counts(log: Path, empty_store: SimulatorStore) -> None:
    rows = first_rows(log, ROWS)

    stats = replay_incident_log(empty_store, log, limit=ROWS)

    assert stats.rows == ROWS
    assert stats.applied + stats.stale == ROWS
    assert stats.incidents == len({row["number"] for row in rows}) == len(empty_store.incidents)


def test_replayed_records_have_the_table_api_shape(replayed: SimulatorServer) -> None:
    with httpx.Client(base_url=replayed.base_url, auth=SERVICENOW_AUTH) as client:
        body = client.get(
            INCIDENTS,
            params={
                "sysparm_query": "number=INC0000045",
                "sysparm_display_value": "all",
                "sysparm_exclude_reference_link": "true",
            },
        ).json()

    (record,) = body["result"]
    # Its last row in the log: Closed on 5/3/2016 12:00 after 4 updates.
    assert record["state"] == {"display_value": "Closed", "value": "7"}
    assert record["priority"]["value"] == "3"
    assert record["impact"]["value"] == "2"
    assert record["sys_updated_on"]["value"] == "2016-03-05 12:00:00"
    assert record["opened_at"]["value"] == "2016-02-29 01:16:00"
    assert record["resolved_at"]["value"] == "2016-02-29 11:29:00"
    assert record["close_code"]["value"] == "code 5"
    assert record["sys_mod_count"]["value"] == "4"
    assert record["active"]["value"] == "false"
    assert record["assignment_group"]["display_value"] == "Group 56"
    assert record["cmdb_ci"] == {"display_value": "", "value": ""}  # "?" in the log


def test_paging_the_replayed_incidents(replayed: SimulatorServer) -> None:
    seen: list[str] = []
    with httpx.Client(base_url=replayed.base_url, auth=SERVICENOW_AUTH) as client:
        offset = 0
        while True:
            response = client.get(
                INCIDENTS,
                params={
                    "sysparm_query": (
                        "sys_updated_on>=2016-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id"
                    ),
                    "sysparm_fields": "number,sys_updated_on",
                    "sysparm_limit": 200,
                    "sysparm_offset": offset,
                },
            )
            seen += [r["number"] for r in response.json()["result"]]
            offset += 200
            if offset >= int(response.headers["X-Total-Count"]):
                break

    assert len(seen) == len(set(seen)) == len(replayed.store.incidents)


def test_replay_as_a_live_stream(log: Path, empty_store: SimulatorStore) -> None:
    first_at, second_at = NOW, NOW + timedelta(minutes=1)
    with IncidentLogReplay(log) as replay:
        replay.apply(empty_store, 1000, at=first_at)
        second = replay.apply(empty_store, 1000, at=second_at)

    with make_server(store=empty_store) as server:
        body = httpx.get(
            f"{server.base_url}{INCIDENTS}",
            params={
                "sysparm_query": "sys_updated_on>=2024-01-15 12:01:00^ORDERBYsys_updated_on",
                "sysparm_fields": "number",
            },
            auth=SERVICENOW_AUTH,
        ).json()

    rows = first_rows(log, 2000)[1000:]
    assert {r["number"] for r in body["result"]} == {row["number"] for row in rows}
    assert second.rows == 1000
