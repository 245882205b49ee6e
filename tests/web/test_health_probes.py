"""/health/live and /health/ready: the probes an orchestrator and a load balancer use (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

READY = {"status": "ok", "checks": {"database": {"ok": True}, "broker": {"ok": True}}}


@pytest.fixture
def broker_down() -> Iterator[None]:
    from cataligent.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        yield
    finally:
        app.conf.broker_url = original


@pytest.fixture
def database_down() -> Iterator[None]:
    """Every query fails as it would with PostgreSQL gone."""

    def refuse(*args: Any) -> Any:
        raise ConnectionError("database is down")

    with connection.execute_wrapper(refuse):
        yield


@pytest.mark.parametrize("path", ["/health/live", "/health/live/"])
def test_liveness_touches_neither_database_nor_broker(
    path: str, broker_down: None, database_down: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = Client().get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/"])
def test_readiness_checks_database_and_broker(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response.json() == READY


def test_not_ready_without_the_broker(broker_down: None) -> None:
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False}


def test_not_ready_without_the_database(database_down: None) -> None:
    response = Client().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": False}
    assert "database is down" not in str(body)  # error texts are for admins, at /health/


def test_probes_need_no_sign_in_and_say_no_more_than_up_or_down(people: dict[str, Any]) -> None:
    for path in ("/health/live", "/health/ready"):
        assert "connectors" not in Client().get(path).json()
