"""The escalation engine: thresholds, exactly once, episodes, default path, acknowledgement."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection

from dependencies.escalations.delivery import notifications_send
from dependencies.escalations.engine import escalate
from dependencies.models import Escalation, EscalationLevel, Node, Notification
from tests.factories import EscalationPolicyFactory, NodeFactory

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _blocked_node(people: dict[str, Any], *, policy: Any = None, **fields: Any) -> Node:
    node = NodeFactory(
        slug="lending-api",
        name="Lending API",
        team=people["team_a"],
        owner=people["lead_a"],
        escalation_policy=policy,
        **fields,
    )
    Node.objects.filter(pk=node.pk).update(
        state="blocked", blocked_since=START, root_causes=["lending-api"]
    )
    node.refresh_from_db()
    return node


@pytest.fixture
def policy(people: dict[str, Any]) -> Any:
    policy = EscalationPolicyFactory(name="Lending", team=people["team_a"])
    EscalationLevel.objects.create(
        policy=policy, position=1, after_minutes=30, notify_team=people["team_a"]
    )
    EscalationLevel.objects.create(
        policy=policy, position=2, after_minutes=120, notify_role="leadership"
    )
    return policy


def _at(minutes: float) -> Any:
    return time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False)


@pytest.mark.django_db
def test_levels_fire_at_their_minute_and_not_before(people: Any, policy: Any) -> None:
    _blocked_node(people, policy=policy)
    with _at(29.9):
        assert escalate().fired == []
    with _at(30):
        fired = escalate().fired
        assert [(e.level, e.target_display) for e in fired] == [(1, "lead of Team A")]
    with _at(119):
        assert escalate().fired == []
    with _at(121):
        assert [e.level for e in escalate().fired] == [2]
    assert Escalation.objects.count() == 2


@pytest.mark.django_db
def test_running_twice_fires_and_mails_once(
    people: Any, policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _blocked_node(people, policy=policy)
    with _at(45), django_capture_on_commit_callbacks(execute=True):
        escalate()
        escalate()
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(channel="email").count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people["lead_a"].email]
    assert "Lending API" in message.subject
    assert "/nodes/lending-api/" in message.body
    html = message.alternatives[0][0]
    assert "Open in Cataligent" in html


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL, as CI runs"
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_create_each_escalation_once(people: Any, policy: Any) -> None:
    _blocked_node(people, policy=policy)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with _at(200):
                escalate()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(Escalation.objects.values_list("level", flat=True)) == [1, 2]
    keys = list(Notification.objects.values_list("event_key", "recipient_id", "channel"))
    assert len(keys) == len(set(keys))


@pytest.mark.django_db
def test_unblocking_resolves_and_tells_who_was_notified(people: Any, policy: Any) -> None:
    node = _blocked_node(people, policy=policy)
    with _at(40):
        escalate()
    Node.objects.filter(pk=node.pk).update(state="operational", blocked_since=None)
    with _at(50):
        resolved = escalate().resolved
    assert [e.status for e in resolved] == ["resolved"]
    resolved_notes = Notification.objects.filter(event="escalation_resolved")
    assert {n.recipient for n in resolved_notes} == {people["lead_a"]}


@pytest.mark.django_db
def test_reblocking_starts_a_new_episode(people: Any, policy: Any) -> None:
    node = _blocked_node(people, policy=policy)
    with _at(40):
        escalate()
    later = START + dt.timedelta(hours=5)
    Node.objects.filter(pk=node.pk).update(blocked_since=later)
    with time_machine.travel(later + dt.timedelta(minutes=31), tick=False):
        result = escalate()
    assert len(result.resolved) == 1  # the old episode
    assert [(e.level, e.episode_started_at) for e in result.fired] == [(1, later)]


@pytest.mark.django_db
def test_no_policy_goes_to_leadership_after_the_default(people: Any, settings: Any) -> None:
    settings.ESCALATION_DEFAULT_MINUTES = 60
    node = _blocked_node(people)
    node.team.default_escalation_policy = None
    node.team.save()
    with _at(59):
        assert escalate().fired == []
    with _at(61):
        fired = escalate().fired
    assert [(e.target_role, e.policy) for e in fired] == [("leadership", None)]
    recipients = set(
        Notification.objects.filter(channel="inbox").values_list("recipient__username", flat=True)
    )
    assert recipients == {"leader"}


@pytest.mark.django_db
def test_team_default_policy_applies(people: Any, policy: Any) -> None:
    people["team_a"].default_escalation_policy = policy
    people["team_a"].save()
    _blocked_node(people)
    with _at(31):
        assert [e.policy for e in escalate().fired] == [policy]


@pytest.mark.django_db
def test_a_failing_email_backend_is_retried_and_recorded(
    people: Any, policy: Any, settings: Any
) -> None:
    _blocked_node(people, policy=policy)
    settings.EMAIL_BACKEND = "tests.escalations.failing_backend.FailingBackend"
    with _at(45):
        escalate()
    email = Notification.objects.get(channel="email")
    notifications_send([email.pk])
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert "SMTP is down" in email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5), tick=False):
        assert notifications_send() == 1  # the sweep
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_acknowledgement_rules(people: Any, policy: Any, client_as: Any) -> None:
    _blocked_node(people, policy=policy)
    with _at(45):
        escalation = escalate().fired[0]
    url = f"/api/escalations/{escalation.pk}/acknowledge/"
    for role in ("member", "lead_b"):
        assert client_as(role).post(url, {"note": "x"}, format="json").status_code == 403
    assert client_as("anonymous").post(url, {}, format="json").status_code == 401
    response = client_as("lead_a").post(url, {"note": "team reassigned"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["note"]) == (
        "acknowledged",
        "lead_a",
        "team reassigned",
    )
    assert body["time_to_acknowledge"] is not None
    leadership = client_as("leadership").post(url, {"note": "budget approved"}, format="json")
    assert leadership.status_code == 200


@pytest.mark.django_db
def test_escalations_api_lists_and_filters(people: Any, policy: Any, client_as: Any) -> None:
    _blocked_node(people, policy=policy)
    with _at(200):
        escalate()
    body = client_as("member").get("/api/escalations/?team=team-a&level=2").json()
    assert [e["level"] for e in body["results"]] == [2]
    assert body["results"][0]["item"] == "lending-api"
    assert client_as("member").get("/api/escalations/?team=team-b").json()["count"] == 0


@pytest.mark.django_db
def test_inbox_page_and_htmx_acknowledge(people: Any, policy: Any) -> None:
    from django.test import Client

    _blocked_node(people, policy=policy)
    with _at(45):
        escalation = escalate().fired[0]
    client = Client()
    client.force_login(people["lead_a"])
    page = client.get("/escalations/").content.decode()
    assert "Lending API" in page and "Acknowledge" in page
    response = client.post(
        f"/escalations/{escalation.pk}/acknowledge/", {"note": "on it"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "on it" in response.content.decode()
    other = Client()
    other.force_login(people["lead_b"])
    assert other.post(f"/escalations/{escalation.pk}/acknowledge/").status_code == 403
