from __future__ import annotations

from collections.abc import Iterator

import pytest

from dependencies.recompute import forget_cache
from integrations.simulator import NOISE_ONLY, SimulatorServer, make_server


@pytest.fixture(autouse=True)
def _fresh_engine_cache() -> Iterator[None]:
    forget_cache()
    yield
    forget_cache()


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    """A simulated ServiceNow + Jira on a free loopback port: 120 incidents, the demo story."""
    server = make_server("127.0.0.1", 0, seed=7, tickets=120, jira_issues=20)
    server.start()
    yield server
    server.close()


@pytest.fixture
def quiet_simulator() -> Iterator[SimulatorServer]:
    """No story tickets: only background noise (for exact counts)."""
    server = make_server("127.0.0.1", 0, seed=3, tickets=60, jira_issues=10, scenario=NOISE_ONLY)
    server.start()
    yield server
    server.close()


def make_connector(server: SimulatorServer, *, kind: str = "servicenow", **fields):  # type: ignore[no-untyped-def]
    from integrations.models import Connector

    defaults = {
        "slug": f"sim-{kind}",
        "name": f"Simulated {kind}",
        "kind": kind,
        "base_url": server.base_url,
        "username": "admin" if kind == "servicenow" else "integration@example.com",
        "page_size": 25,
    }
    if kind == "jira":
        defaults["query"] = "project = LEND"
    defaults.update(fields)
    secret = defaults.pop("secret", "admin" if kind == "servicenow" else "jira-api-token")
    connector = Connector(**defaults)
    connector.set_secret(secret)
    connector.save()
    return connector
