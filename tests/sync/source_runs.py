"""What the sync tests of each source share: a sleep that records its waits instead of
waiting, and a sync run that must succeed."""

from __future__ import annotations

from typing import Any

from integrations.models import Connector, SyncRun
from integrations.sync import sync_connector


class Sleeps(list[float]):
    """The connector's injected sleep: the waits it asked for, none waited."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sync_ok(connector: Connector, sleeps: Sleeps | None = None, **kwargs: Any) -> SyncRun:
    """One sync of ``connector`` (``full=True``... as ``sync_connector`` takes them), which
    must succeed; the connector's waits go to ``sleeps``."""
    sleep = sleeps if sleeps is not None else Sleeps()
    run = sync_connector(connector=connector, connector_options={"sleep": sleep}, **kwargs)
    assert run is not None
    assert run.outcome == "succeeded", run.error
    return run
