"""/health/: liveness for anyone, details (errors, connectors) for admins only (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from cataligent.api_tokens import api_token_create
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

LIVENESS = {"status": "ok", "checks": {"database": {"ok": True}, "broker": {"ok": True}}}
SNOW_FRESHNESS = {
    "slug": "snow",
    "health": "never",
    "last_success_at": None,
    "poll_interval": 60,
    "last_error": "",
}


@pytest.fixture
def broker_down() -> Iterator[None]:
    from cataligent.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        yield
    finally:
        app.conf.broker_url = original


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_health_reports_database_and_broker() -> None:
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == LIVENESS


def test_health_fails_loudly_when_the_broker_is_unreachable(broker_down: None) -> None:
    response = Client().get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    # Anonymous callers learn what is down, not the error text naming internal hosts.
    assert body["checks"]["broker"] == {"ok": False}


def test_anonymous_callers_see_no_connector(people: dict[str, Any]) -> None:
    ConnectorFactory(slug="snow", poll_interval=60)
    body = Client().get("/health/").json()
    assert "connectors" not in body
    assert "snow" not in str(body)


def test_admins_see_connector_freshness_and_errors(
    people: dict[str, Any], broker_down: None
) -> None:
    ConnectorFactory(slug="snow", poll_interval=60)
    response = _signed_in(people["admin"]).get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["connectors"] == [SNOW_FRESHNESS]
    assert body["checks"]["database"]["ok"] is True and "ms" in body["checks"]["database"]
    assert body["checks"]["broker"]["ok"] is False
    assert "127.0.0.1:1" in body["checks"]["broker"]["error"]


def test_an_admins_api_token_shows_connector_freshness(people: dict[str, Any]) -> None:
    ConnectorFactory(slug="snow", poll_interval=60)
    key = api_token_create(user=people["admin"], name="monitoring").key
    body = Client().get("/health/", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert body["connectors"] == [SNOW_FRESHNESS]


@pytest.mark.parametrize("role", ["member", "lead_a", "leadership"])
def test_other_roles_get_liveness_only(role: str, people: dict[str, Any]) -> None:
    ConnectorFactory(slug="snow", poll_interval=60)
    key = api_token_create(user=people[role], name="monitoring").key
    by_token = Client().get("/health/", HTTP_AUTHORIZATION=f"Token {key}").json()
    by_session = _signed_in(people[role]).get("/health/").json()
    for body in (by_token, by_session):
        assert body == LIVENESS


def test_a_bad_token_is_refused_not_ignored(people: dict[str, Any]) -> None:
    response = Client().get("/health/", HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
