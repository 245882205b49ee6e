"""The demo as `make demo` runs it, for tests: `seed_demo`, then the simulated ServiceNow and
Jira served on a free port and synced through the real connectors, then one recompute."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command

from dependencies.recompute import forget_cache, impact_recompute
from integrations.models import Connector
from integrations.simulator import SimulatorServer, make_server
from integrations.sync import sync_connector


@contextmanager
def synced_demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorServer]:
    forget_cache()
    server = make_server("127.0.0.1", 0, seed=1, tickets=400, jira_issues=80)
    server.start()
    monkeypatch.setenv("SIMULATOR_URL", server.base_url)
    try:
        call_command("seed_demo", stdout=io.StringIO())
        for connector in Connector.objects.all():
            run = sync_connector(
                connector=connector, connector_options={"sleep": lambda seconds: None}
            )
            assert run is not None and run.outcome == "succeeded", run and run.error
        impact_recompute(force=True, reason="test")
        yield server
    finally:
        server.close()
        forget_cache()
