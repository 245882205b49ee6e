from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker() -> None:
    body = Client().get("/health/").json()
    assert body["status"] == "ok", body
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_health_fails_loudly_when_the_broker_is_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    from cataligent.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = Client().get("/health/")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_health_reports_connector_freshness() -> None:
    from tests.factories import ConnectorFactory

    ConnectorFactory(slug="snow", poll_interval=60)
    body = Client().get("/health/").json()
    assert body["connectors"] == [
        {
            "slug": "snow",
            "health": "never",
            "last_success_at": None,
            "poll_interval": 60,
            "last_error": "",
        }
    ]
