"""/metrics: bearer token only, request and database metrics, domain gauges (issue 15)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dependencies.models import Escalation, ImpactState, Notification
from integrations.models import QuarantinedRecord, SyncRun
from tests.factories import ConnectorFactory, NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics_on(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN


def scrape(**headers: str) -> Any:
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)


def samples(body: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_no_token_configured_means_no_endpoint() -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", f"Basic {TOKEN}"])
def test_only_the_bearer_token_is_answered(metrics_on: None, header: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"cataligent_" not in response.content


def test_scraped_over_plain_http_from_any_host(metrics_on: None, settings: Any) -> None:
    # Prometheus scrapes web:8000 over HTTP inside the network: no redirect, no 400.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["cataligent.example.com"]
    response = scrape(HTTP_HOST="web:8000")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert Client().get("/health/live", HTTP_HOST="10.0.0.7:8000").status_code == 200


def test_requests_and_queries_are_counted(metrics_on: None, people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["member"])
    before = samples(scrape().content)
    assert client.get("/objectives/").status_code == 200
    assert Client().get("/health/live").status_code == 200
    after = samples(scrape().content)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - before.get((name, frozenset(labels.items())), 0)

    assert (
        grew("cataligent_http_requests_total", method="GET", view="objective-list", status="200")
        == 1
    )
    assert (
        grew("cataligent_http_requests_total", method="GET", view="health-live", status="200") == 1
    )
    assert (
        grew("cataligent_http_request_duration_seconds_count", method="GET", view="objective-list")
        == 1
    )
    vendor = connection.vendor
    assert grew("cataligent_db_queries_total", alias="default", vendor=vendor) > 0


def test_domain_gauges(metrics_on: None, settings: Any) -> None:
    now = timezone.now()
    snow = ConnectorFactory(slug="snow")
    snow.last_success_at = now - timedelta(seconds=300)
    snow.save()
    ConnectorFactory(slug="jira")  # never synced
    SyncRun.objects.create(connector=snow, outcome="succeeded", started_at=now - timedelta(hours=1))
    SyncRun.objects.create(connector=snow, outcome="failed", started_at=now - timedelta(minutes=5))
    for n in range(3):
        QuarantinedRecord.objects.create(connector=snow, external_id=str(n), reason="bad")
    NodeFactory(slug="lending", kind="capability", state="blocked")
    NodeFactory(slug="payments", kind="capability", state="operational")
    NodeFactory(slug="core-db", kind="service", state="blocked")  # not a capability
    blocked = ObjectiveFactory(state="blocked")
    ObjectiveFactory(state="operational")
    ImpactState.objects.update_or_create(
        pk=1,
        defaults={
            "requested": 9,
            "computed": 7,
            "version": 42,
            "duration_ms": 1500,
            "computed_at": now - timedelta(seconds=30),
            "value_at_risk": 2_000_000,
        },
    )
    escalation = Escalation.objects.create(
        objective=blocked,
        episode_started_at=now,
        level=1,
        target_display="leadership",
        fired_at=now,
    )
    for status in ("pending", "pending", "failed", "sent"):
        Notification.objects.create(
            channel="inapp",
            event="escalation",
            event_key=f"k-{status}-{Notification.objects.count()}",
            escalation=escalation,
            subject="s",
            body="b",
            status=status,
        )

    found = samples(scrape().content)
    assert 299 <= value(found, "cataligent_connector_seconds_since_success", connector="snow") < 330
    assert (
        "cataligent_connector_seconds_since_success",
        frozenset({("connector", "jira")}),
    ) not in found
    assert (
        value(found, "cataligent_connector_last_run_outcome", connector="snow", outcome="failed")
        == 1
    )
    assert (
        value(found, "cataligent_connector_last_run_outcome", connector="snow", outcome="succeeded")
        == 0
    )
    assert value(found, "cataligent_connector_quarantined_records", connector="snow") == 3
    assert value(found, "cataligent_connector_quarantined_records", connector="jira") == 0
    assert value(found, "cataligent_impact_pending_changes") == 2
    assert 29 <= value(found, "cataligent_impact_recompute_lag_seconds") < 60
    assert value(found, "cataligent_impact_recompute_duration_seconds") == 1.5
    assert value(found, "cataligent_impact_map_version") == 42
    assert value(found, "cataligent_value_at_risk", currency=settings.CURRENCY) == 2_000_000
    assert value(found, "cataligent_capabilities", state="blocked") == 1
    assert value(found, "cataligent_capabilities", state="operational") == 1
    assert value(found, "cataligent_objectives", state="blocked") == 1
    assert value(found, "cataligent_escalations_unresolved", status="open") == 1
    assert value(found, "cataligent_notifications", status="pending") == 2
    assert value(found, "cataligent_notifications", status="failed") == 1
    if settings.REDIS_URL:
        assert ("cataligent_celery_queue_length", frozenset({("queue", "sync")})) in found


def _scrape_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        assert scrape().status_code == 200
    return len(queries)


def test_the_scrape_costs_the_same_few_queries_whatever_the_size(metrics_on: None) -> None:
    ConnectorFactory(slug="one")
    ImpactState.objects.get_or_create(pk=1)
    few = _scrape_queries()
    for n in range(20):
        connector = ConnectorFactory(slug=f"c{n}")
        SyncRun.objects.create(connector=connector, outcome="succeeded")
        QuarantinedRecord.objects.create(connector=connector, reason="bad")
        NodeFactory(slug=f"cap-{n}", kind="capability")
        ObjectiveFactory()
    assert _scrape_queries() == few == 6


def test_the_grafana_dashboard_shows_only_metrics_that_exist(
    metrics_on: None, people: dict[str, Any]
) -> None:
    ImpactState.objects.get_or_create(pk=1)
    NodeFactory(kind="capability")
    connector = ConnectorFactory(slug="snow", last_success_at=timezone.now())
    SyncRun.objects.create(connector=connector, outcome="succeeded")
    Client().get("/health/live")
    exported = {name for name, _ in samples(scrape().content)}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "cataligent.json").read_text())
    shown = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"cataligent_[a-z_]+", target["expr"])
    }
    assert len(shown) > 15
    assert shown - exported == set()


def test_a_scrape_without_the_database_still_answers(metrics_on: None) -> None:
    def refuse(*args: Any) -> Any:
        raise OperationalError("database is down")

    with connection.execute_wrapper(refuse):
        response = scrape()
    assert response.status_code == 200
    found = samples(response.content)
    assert value(found, "cataligent_domain_metrics_ok") == 0
    assert not any(name.startswith("cataligent_connector") for name, _ in found)
    assert any(name == "cataligent_http_requests_total" for name, _ in found)
