from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from integrations.simulator import NOISE_ONLY, SimulatorServer, SimulatorStore, make_server

# A fixed "now" so that timestamps, offsets and generated tickets are the same on every run.
# January: Europe/Berlin is at +0100.
NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)
SERVICENOW_AUTH = ("admin", "admin")
JIRA_AUTH = ("integration@example.com", "jira-api-token")


def fixed_store(*, seed: int = 7, incidents: int = 300, issues: int = 120) -> SimulatorStore:
    store = SimulatorStore(seed=seed, clock=lambda: NOW)
    store.preload(incidents=incidents, issues=issues)
    return store


@pytest.fixture
def store() -> SimulatorStore:
    return fixed_store()


@pytest.fixture
def server(store: SimulatorStore) -> Iterator[SimulatorServer]:
    with make_server("127.0.0.1", 0, store=store) as running:
        yield running


@pytest.fixture
def noise_server() -> Iterator[SimulatorServer]:
    store = SimulatorStore(seed=3, clock=lambda: NOW, scenario=NOISE_ONLY)
    store.preload(incidents=250, issues=0)
    with make_server("127.0.0.1", 0, store=store) as running:
        yield running


@pytest.fixture
def servicenow(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, auth=SERVICENOW_AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def jira(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, auth=JIRA_AUTH, timeout=10) as client:
        yield client
