"""'Sync now' while the broker cannot be reached: a clear answer, not a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import ConnectorFactory
from tests.faults.processes import free_port


@pytest.fixture
def broker_down() -> Iterator[None]:
    """The app publishes to a Redis port nothing listens on (real connection refusals)."""
    from cataligent.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport", "task_always_eager")}
    app.conf.update(
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
        broker_transport="cataligent.broker:Transport",
        task_always_eager=False,
    )
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


@pytest.mark.django_db
def test_sync_now_says_the_queue_is_unreachable(people: Any, broker_down: None) -> None:
    ConnectorFactory(slug="snow")
    client = Client()
    client.force_login(people["admin"])
    response = client.post("/connectors/snow/sync/")
    assert response.status_code == 200  # htmx swaps only 2xx answers in place
    assert "cannot be reached" in response.content.decode()

    api = APIClient()
    api.force_authenticate(people["admin"])
    answer = api.post("/api/connectors/snow/sync/", {}, format="json")
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json()["detail"]
