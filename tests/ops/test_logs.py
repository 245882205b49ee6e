"""Structured logs: request ids that follow the request, context, and no secrets (issue 15)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from cataligent import log_context
from cataligent.celery import _send_log_context
from cataligent.log_context import ContextFilter
from cataligent.log_format import JsonFormatter
from integrations.models import Connector, SyncRun
from integrations.simulator import SimulatorServer, make_server
from integrations.simulator.server import Credentials
from integrations.sync import sync_connector

pytestmark = pytest.mark.django_db

BASIC_PASSWORD = "Basic-Pass-7f3a9c"
WEBHOOK_SECRET = "whsec-Known-41b2e8"
BODY_MARKER = "Body-Marker-Quarterly-Ledger-Outage"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """Every record of every logger, down to DEBUG (httpx and httpcore included)."""
    handler = Lines()
    root = logging.getLogger()
    names = ("httpx", "httpcore", "django.db.backends", "cataligent.access")
    noisy = [logging.getLogger(name) for name in names]
    saved = [(root, root.level)] + [(logger, logger.level) for logger in noisy]
    root.addHandler(handler)
    for logger, _ in saved:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in saved:
            logger.setLevel(level)


def test_one_json_object_per_line_with_the_request_id(log_lines: Lines) -> None:
    response = Client().get("/hooks/nobody/", HTTP_X_REQUEST_ID="edge-7a1")
    assert response["X-Request-ID"] == "edge-7a1"
    lines = [line for line in log_lines.parsed() if line.get("request_id") == "edge-7a1"]
    assert lines, log_lines.lines
    assert all("\n" not in raw for raw in log_lines.lines)
    assert {"time", "level", "logger", "message"} <= set(lines[0])


@pytest.mark.parametrize("given", [None, "", "x" * 200, "bad id\nforged", "<script>"])
def test_a_missing_or_unsafe_request_id_is_replaced(given: str | None) -> None:
    extra = {"HTTP_X_REQUEST_ID": given} if given is not None else {}
    rid = Client().get("/health/live", **extra)["X-Request-ID"]
    assert rid and rid != given and len(rid) == 32


def test_the_request_id_and_user_go_into_the_tasks_it_queues(people: dict[str, Any]) -> None:
    headers: dict[str, Any] = {}
    request = Client().request().wsgi_request
    request.user = people["lead_a"]
    rid_token = log_context.request_id.set("req-42")
    request_token = log_context.current_request.set(request)
    try:
        _send_log_context(headers=headers)
    finally:
        log_context.current_request.reset(request_token)
        log_context.request_id.reset(rid_token)
    assert headers == {"cataligent_request_id": "req-42", "cataligent_user": "lead_a"}


def test_each_request_is_logged_once_with_its_user(
    people: dict[str, Any], log_lines: Lines
) -> None:
    client = Client()
    client.force_login(people["member"])
    rid = client.get("/objectives/")["X-Request-ID"]
    access = [line for line in log_lines.parsed() if line["logger"] == "cataligent.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == rid
    assert access[0]["user"] == "member"
    assert access[0]["message"].startswith("GET /objectives/ 200 ")


def test_a_log_line_never_looks_the_user_up(log_lines: Lines) -> None:
    # Anonymous and never asked for: the line names no user rather than query the session.
    Client().get("/health/live", HTTP_COOKIE="sessionid=abc")
    access = [line for line in log_lines.parsed() if line["logger"] == "cataligent.access"]
    assert access and "user" not in access[0]


@pytest.fixture
def guarded_simulator() -> Iterator[SimulatorServer]:
    credentials = Credentials(servicenow_username="sync-bot", servicenow_password=BASIC_PASSWORD)
    server = make_server("127.0.0.1", 0, seed=5, tickets=40, jira_issues=5, credentials=credentials)
    server.start()
    yield server
    server.close()


def test_no_secret_or_ticket_body_reaches_the_logs(
    guarded_simulator: SimulatorServer, log_lines: Lines
) -> None:
    connector = Connector(
        slug="snow",
        name="ServiceNow",
        kind="servicenow",
        base_url=guarded_simulator.base_url,
        username="sync-bot",
        page_size=10,
    )
    connector.set_secret(BASIC_PASSWORD)
    connector.set_webhook_secret(WEBHOOK_SECRET)
    connector.save()

    run = sync_connector(connector=connector, trigger="test")
    assert run is not None and run.outcome == SyncRun.Outcome.SUCCEEDED and run.fetched >= 40

    body = json.dumps(
        {
            "external_id": "77",
            "key": "RT#77",
            "title": BODY_MARKER,
            "status_category": "open",
            "priority": 1,
            "updated_at": "2026-11-26T09:00:00Z",
            "labels": [BODY_MARKER],
        }
    ).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = Client().post(
        "/hooks/snow/",
        data=body,
        content_type="application/json",
        headers={"X-Cataligent-Signature": signature},
    )
    assert response.status_code == 200, response.content
    bad = Client().post(
        "/hooks/snow/",
        data=body,
        content_type="application/json",
        headers={"X-Cataligent-Signature": "sha256=" + "0" * 64},
    )
    assert bad.status_code == 401

    assert len(log_lines.lines) > 20  # the sync and the webhooks did log
    basic = base64.b64encode(f"sync-bot:{BASIC_PASSWORD}".encode()).decode()
    everything = "\n".join(log_lines.lines) + "\n".join(
        repr(record.__dict__) for record in log_lines.records
    )
    for secret in (BASIC_PASSWORD, WEBHOOK_SECRET, basic, BODY_MARKER, signature[7:]):
        assert secret not in everything

    sync_lines = [line for line in log_lines.parsed() if line.get("sync_run") == run.pk]
    assert sync_lines and all(line["connector"] == "snow" for line in sync_lines)
    assert any("snow succeeded" in line["message"] for line in sync_lines)
    hook_lines = [
        line["message"]
        for line in log_lines.parsed()
        if line.get("connector") == "snow" and line.get("sync_run") is None
    ]
    assert "webhook from snow: RT#77 created" in hook_lines
    assert "webhook for snow refused: missing or wrong signature" in hook_lines
