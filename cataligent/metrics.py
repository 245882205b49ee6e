"""Prometheus metrics at /metrics (issue 15), for `Authorization: Bearer $METRICS_TOKEN` only.

Request and database metrics are counted as they happen. Under gunicorn's several worker
processes they are kept in PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py), so whichever
worker answers a scrape reports the sum of all. The domain gauges (connector freshness,
recompute lag, value at risk, escalations, notifications, queue lengths) are read at scrape
time by `DomainCollector`, with a fixed number of queries whatever the data's size.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "cataligent_http_requests_total",
    "HTTP requests answered, by route name and status.",
    ["method", "view", "status"],
)
REQUEST_SECONDS = Histogram(
    "cataligent_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DB_QUERIES = Counter(
    "cataligent_db_queries_total", "Database queries executed.", ["alias", "vendor"]
)
DB_QUERY_ERRORS = Counter(
    "cataligent_db_query_errors_total", "Database queries that raised.", ["alias", "vendor"]
)
DB_QUERY_SECONDS = Histogram(
    "cataligent_db_query_duration_seconds",
    "Time to execute a database query.",
    ["alias", "vendor"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)

QUEUES = ("cataligent", "sync", "recompute", "notifications")


def observe_query(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """A database execute wrapper (installed on every connection by cataligent.apps)."""
    connection = context["connection"]
    labels = (connection.alias, connection.vendor)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except Exception:
        DB_QUERY_ERRORS.labels(*labels).inc()
        raise
    finally:
        DB_QUERIES.labels(*labels).inc()
        DB_QUERY_SECONDS.labels(*labels).observe(time.perf_counter() - started)


def install_query_metrics(sender: Any, connection: Any, **kwargs: Any) -> None:
    if observe_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(observe_query)
        # Exported at 0 from the start, so that a rate of errors exists before the first.
        DB_QUERY_ERRORS.labels(connection.alias, connection.vendor)


def observe_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = getattr(request, "metrics_view", None) or (
        match.view_name if match is not None else "<unresolved>"
    )
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(method, view, str(response.status_code)).inc()
    REQUEST_SECONDS.labels(method, view).observe(seconds)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class DomainCollector(Collector):
    """The state of the product, read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        readable = GaugeMetricFamily(
            "cataligent_domain_metrics_ok",
            "1 when the domain gauges could be read from the database at this scrape.",
        )
        try:
            # Read whole before yielding: a failure half-way must not leave half the gauges.
            families = [
                *_connector_metrics(),
                *_impact_metrics(),
                *_escalation_and_notification_metrics(),
            ]
        except DatabaseError:
            # The request and process metrics are still worth a scrape; readiness says why.
            log.warning("the domain metrics could not be read", exc_info=True)
            families = []
        readable.add_metric([], 1 if families else 0)
        yield from families
        yield readable
        yield from _queue_metrics()


def _connector_metrics() -> Iterator[GaugeMetricFamily]:
    from integrations.models import Connector, QuarantinedRecord, SyncRun

    quarantined = (
        QuarantinedRecord.objects.filter(connector=OuterRef("pk"))
        .order_by()
        .values("connector")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_outcome = SyncRun.objects.filter(connector=OuterRef("pk")).order_by("-started_at", "-pk")
    rows = Connector.objects.order_by("slug").values_list(
        "slug",
        "enabled",
        "last_success_at",
        Subquery(quarantined),
        Subquery(last_outcome.values("outcome")[:1]),
    )
    since = GaugeMetricFamily(
        "cataligent_connector_seconds_since_success",
        "Seconds since the connector's last successful sync (absent: never succeeded).",
        labels=["connector"],
    )
    outcome = GaugeMetricFamily(
        "cataligent_connector_last_run_outcome",
        "1 for the outcome of the connector's last sync run, 0 for the others.",
        labels=["connector", "outcome"],
    )
    quarantine = GaugeMetricFamily(
        "cataligent_connector_quarantined_records",
        "Records from the source kept in quarantine because they could not be read.",
        labels=["connector"],
    )
    enabled = GaugeMetricFamily(
        "cataligent_connector_enabled", "1 when the connector is enabled.", labels=["connector"]
    )
    now = timezone.now()
    outcomes = ("running", "succeeded", "failed", "interrupted")
    for slug, is_enabled, last_success_at, quarantined_count, last in rows:
        enabled.add_metric([slug], 1 if is_enabled else 0)
        if last_success_at is not None:
            since.add_metric([slug], (now - last_success_at).total_seconds())
        quarantine.add_metric([slug], quarantined_count or 0)
        if last is not None:
            for name in outcomes:
                outcome.add_metric([slug, name], 1 if name == last else 0)
    yield from (since, outcome, quarantine, enabled)


def _impact_metrics() -> Iterator[GaugeMetricFamily]:
    from dependencies.models import ImpactState, Node
    from objectives.models import Objective

    state = ImpactState.objects.filter(pk=1).first()
    pending = GaugeMetricFamily(
        "cataligent_impact_pending_changes",
        "Changes recorded since the last recompute that it has not yet taken in.",
    )
    lag = GaugeMetricFamily(
        "cataligent_impact_recompute_lag_seconds",
        "0 when the map is up to date, else seconds since the last recompute finished "
        "(how long a pending change has waited, at most).",
    )
    duration = GaugeMetricFamily(
        "cataligent_impact_recompute_duration_seconds", "How long the last recompute took."
    )
    version = GaugeMetricFamily("cataligent_impact_map_version", "The map's version.")
    at_risk = GaugeMetricFamily(
        "cataligent_value_at_risk",
        "Value at stake per week of the objectives blocked now.",
        labels=["currency"],
    )
    if state is not None:
        waiting = max(state.requested - state.computed, 0)
        pending.add_metric([], waiting)
        since = (timezone.now() - state.computed_at).total_seconds() if state.computed_at else 0.0
        lag.add_metric([], since if waiting else 0.0)
        duration.add_metric([], state.duration_ms / 1000)
        version.add_metric([], state.version)
        at_risk.add_metric([settings.CURRENCY], float(state.value_at_risk))
    yield from (pending, lag, duration, version, at_risk)

    capabilities = GaugeMetricFamily(
        "cataligent_capabilities", "Business capabilities by state.", labels=["state"]
    )
    objectives = GaugeMetricFamily(
        "cataligent_objectives", "Objectives by state.", labels=["state"]
    )
    for family, queryset in (
        (capabilities, Node.objects.filter(kind="capability")),
        (objectives, Objective.objects.all()),
    ):
        counts = dict(queryset.order_by().values_list("state").annotate(n=Count("pk")))
        for name in ("operational", "degraded", "blocked"):
            family.add_metric([name], counts.get(name, 0))
        yield family


def _escalation_and_notification_metrics() -> Iterator[GaugeMetricFamily]:
    from dependencies.models import Escalation, Notification

    escalations = GaugeMetricFamily(
        "cataligent_escalations_unresolved",
        "Escalations whose item is still blocked: open (not acknowledged) or acknowledged.",
        labels=["status"],
    )
    counts = dict(
        Escalation.objects.exclude(status="resolved")
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for name in ("open", "acknowledged"):
        escalations.add_metric([name], counts.get(name, 0))
    yield escalations

    notifications = GaugeMetricFamily(
        "cataligent_notifications",
        "Notifications waiting to be sent (pending) or given up on after retries (failed).",
        labels=["status"],
    )
    counts = dict(
        Notification.objects.filter(status__in=["pending", "failed"])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for name in ("pending", "failed"):
        notifications.add_metric([name], counts.get(name, 0))
    yield notifications


def _queue_metrics() -> Iterator[GaugeMetricFamily]:
    """Messages waiting in each Celery queue (Redis only: the demo's filesystem broker has
    no cheap count)."""
    family = GaugeMetricFamily(
        "cataligent_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
    )
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            with client.pipeline(transaction=False) as pipe:
                for queue in QUEUES:
                    pipe.llen(queue)
                lengths = pipe.execute()
            for queue, length in zip(QUEUES, lengths, strict=True):
                family.add_metric([queue], length)
        except Exception:  # a scrape reports what it can; the broker check is /health/ready
            log.warning("could not read the Celery queue lengths", exc_info=True)
    yield family


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The scrape. Without METRICS_TOKEN there is no endpoint (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not Found", status=404, content_type="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return HttpResponse(
            "A bearer token (METRICS_TOKEN) is required.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    domain = CollectorRegistry()
    domain.register(DomainCollector())
    body += generate_latest(domain)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
