"""Notifications outlast an outage: backoff with jitter for a day, then failed for good;
Teams webhooks get an Adaptive Card (a real local HTTP server receives it)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.core import mail

from dependencies.escalations.delivery import (
    RETRY_FOR,
    is_teams_webhook,
    notifications_send,
    send_notification,
)
from dependencies.models import Notification
from tests.factories import UserFactory

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
FAILING = "tests.escalations.failing_backend.FailingBackend"
WORKING = "django.core.mail.backends.locmem.EmailBackend"


def _email() -> Notification:
    return Notification.objects.create(
        recipient=UserFactory(username="lead"),
        channel=Notification.Channel.EMAIL,
        event=Notification.Event.ESCALATION_FIRED,
        event_key="escalation:1:escalation_fired",
        subject="[Cataligent] Escalation level 1: Lending API",
        body="Lending API is blocked.",
        link="https://cataligent.example.com/nodes/lending-api/",
    )


def _sweep_until_settled(notification: Notification, *, recover_at: dt.datetime | None = None):
    """Run the sweep at each scheduled retry; the mail server is back from ``recover_at``.
    Returns the attempt times."""
    from django.conf import settings

    tried = []
    moment = START
    for _ in range(100):
        settings.EMAIL_BACKEND = WORKING if recover_at and moment >= recover_at else FAILING
        with time_machine.travel(moment, tick=False):
            notifications_send([notification.pk] if not tried else None)
        tried.append(moment)
        notification.refresh_from_db()
        if notification.status != Notification.Status.PENDING:
            return tried
        assert notification.next_attempt_at is not None
        moment = notification.next_attempt_at
    pytest.fail("the notification never settled")


@pytest.mark.django_db
def test_retries_back_off_exponentially_with_jitter_for_a_day_then_fail_for_good(
    settings: Any,
) -> None:
    with time_machine.travel(START, tick=False):
        notification = _email()

    tried = _sweep_until_settled(notification)

    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == len(tried)
    assert "SMTP is down" in notification.last_error
    assert notification.next_attempt_at is None
    assert tried[-1] == START + RETRY_FOR  # the last try is when the day is up
    # Between tries, the last one aside (clamped to the end of the day).
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tried[:-1])]
    for n, gap in enumerate(gaps, start=1):
        ceiling = min(4 * 3600, 60 * 2 ** (n - 1))
        assert ceiling / 2 <= gap <= ceiling, (n, gap)  # "equal jitter" of the doubling
    assert gaps[:6] == sorted(gaps[:6])  # doubling beats the jitter early on
    assert 10 <= len(tried) <= 20  # about 8 doublings to 4 h, then every 2-4 h
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_an_escalation_email_survives_a_five_hour_mail_outage(settings: Any) -> None:
    with time_machine.travel(START, tick=False):
        notification = _email()

    tried = _sweep_until_settled(notification, recover_at=START + dt.timedelta(hours=5))

    assert notification.status == Notification.Status.SENT
    assert tried[-1] - START < dt.timedelta(hours=9)  # at most one 4-hour wait late
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_leaves_a_notification_alone_until_its_retry_is_due(settings: Any) -> None:
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(START, tick=False):
        notification = _email()
        send_notification(notification)
    notification.refresh_from_db()
    due = notification.next_attempt_at
    assert due is not None and START + dt.timedelta(seconds=30) <= due
    settings.EMAIL_BACKEND = WORKING
    with time_machine.travel(due - dt.timedelta(seconds=1), tick=False):
        assert notifications_send() == 0
    with time_machine.travel(due, tick=False):
        assert notifications_send() == 1


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records the JSON posted to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                receiver.received.append((self.headers.get("Content-Type", ""), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/workflows/abc/triggers"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _webhook() -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.WEBHOOK,
        event=Notification.Event.ESCALATION_FIRED,
        event_key="escalation:7:escalation_fired",
        subject="[Cataligent] Escalation level 2: Lending API blocked",
        body="Lending API is blocked by core-banking.\nOwner: nobody.",
        link="https://cataligent.example.com/nodes/lending-api/",
    )


@pytest.mark.django_db
def test_teams_gets_an_adaptive_card(receiver: WebhookReceiver, settings: Any) -> None:
    settings.ESCALATION_WEBHOOK_URL = receiver.url
    settings.ESCALATION_WEBHOOK_FORMAT = "teams"
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    notification = _webhook()

    assert notifications_send([notification.pk]) == 1

    [(content_type, message)] = receiver.received
    assert content_type == "application/json"
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    texts = [block["text"] for block in card["body"] if block["type"] == "TextBlock"]
    assert texts == [notification.subject, notification.body]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open", "url": notification.link}
    ]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


@pytest.mark.django_db
def test_other_webhooks_get_slack_text(receiver: WebhookReceiver, settings: Any) -> None:
    settings.ESCALATION_WEBHOOK_URL = receiver.url  # 127.0.0.1: not a Teams host
    settings.ESCALATION_WEBHOOK_FORMAT = "auto"
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    notification = _webhook()

    assert notifications_send([notification.pk]) == 1

    [(_, message)] = receiver.received
    assert message == {"text": f"*{notification.subject}*\n{notification.body}"}


@pytest.mark.parametrize(
    ("url", "teams"),
    [
        ("https://prod-12.westeurope.logic.azure.com:443/workflows/1/triggers/manual", True),
        ("https://default1234.56.environment.api.powerplatform.com/powerautomate/x", True),
        ("https://contoso.webhook.office.com/webhookb2/abc", True),
        ("https://hooks.slack.com/services/T0/B0/x", False),
        ("https://logic.azure.com.evil.example/", False),
        ("https://notlogic.azure.com/", False),
    ],
)
def test_teams_webhooks_are_known_by_their_host(url: str, teams: bool) -> None:
    assert is_teams_webhook(url) is teams
