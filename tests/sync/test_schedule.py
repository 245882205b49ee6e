"""Beat's dispatcher and the reconciler: PostgreSQL, not the broker, is the source of truth."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from integrations.models import SyncRun
from integrations.sync_schedule import connectors_due, runs_interrupted
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


def test_connectors_are_due_by_their_poll_interval() -> None:
    now = timezone.now()
    fresh = ConnectorFactory(slug="fresh", poll_interval=300)
    due = ConnectorFactory(slug="due", poll_interval=60)
    never = ConnectorFactory(slug="never")
    ConnectorFactory(slug="off", enabled=False)
    busy = ConnectorFactory(slug="busy")
    type(fresh).objects.filter(pk=fresh.pk).update(last_attempt_at=now - dt.timedelta(seconds=100))
    type(due).objects.filter(pk=due.pk).update(last_attempt_at=now - dt.timedelta(seconds=100))
    type(busy).objects.filter(pk=busy.pk).update(claimed_until=now + dt.timedelta(minutes=5))
    assert {c.slug for c in connectors_due(now)} == {"due", never.slug}


def test_runs_whose_lease_ran_out_are_interrupted_and_owed_a_sync() -> None:
    connector = ConnectorFactory()
    other = ConnectorFactory()
    start = timezone.now()
    type(connector).objects.filter(pk=connector.pk).update(
        claimed_by="dead-worker", claimed_until=start + dt.timedelta(seconds=60)
    )
    type(other).objects.filter(pk=other.pk).update(
        claimed_by="live-worker", claimed_until=start + dt.timedelta(minutes=9)
    )
    dead = SyncRun.objects.create(connector=connector, worker="dead-worker", heartbeat_at=start)
    alive = SyncRun.objects.create(connector=other, worker="live-worker", heartbeat_at=start)
    assert runs_interrupted() == 0  # both leases current
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert runs_interrupted() == 1
        assert [c.slug for c in connectors_due()] == [connector.slug]
    dead.refresh_from_db()
    alive.refresh_from_db()
    connector.refresh_from_db()
    assert dead.outcome == "interrupted" and "resumes" in dead.error
    assert alive.outcome == "running"
    assert connector.sync_requested_at is not None  # owed at once, not after poll_interval


def test_schedule_syncs_queues_due_connectors(django_capture_on_commit_callbacks: object) -> None:
    from integrations.tasks import schedule_syncs

    ConnectorFactory(slug="unreachable", base_url="http://127.0.0.1:9/")
    result = schedule_syncs()  # eager in tests: the queued sync runs and fails to connect
    assert result["queued"] == ["unreachable"]
    run = SyncRun.objects.get()
    assert run.outcome == "failed" and run.error


def test_an_unreadable_secret_fails_the_run_clearly(settings) -> None:  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    from integrations.sync import sync_connector

    connector = ConnectorFactory(slug="rotated")
    connector.set_secret("s3cret")
    connector.save()
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]  # the old key is gone
    run = sync_connector(connector=connector)
    assert run is not None and run.outcome == "failed"
    assert "cannot be decrypted" in run.error and "will not pass on its own" in run.error


def test_a_queued_connector_is_not_queued_again_before_a_worker_takes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from integrations import tasks

    ConnectorFactory(slug="waiting", poll_interval=300)
    queued: list[int] = []
    monkeypatch.setattr(tasks.sync_connector_task, "delay", lambda pk, **kw: queued.append(pk))
    assert tasks.schedule_syncs()["queued"] == ["waiting"]
    assert tasks.schedule_syncs()["queued"] == []  # the next beat, no worker yet
    assert len(queued) == 1


def test_the_daily_reconciliation_is_queued_once_at_its_hour(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from integrations import tasks

    ConnectorFactory(slug="nightly", poll_interval=300)
    queued: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(
        tasks.sync_connector_task, "delay", lambda pk, **kw: queued.append((pk, kw))
    )
    settings.SYNC_RECONCILE_HOUR = 3
    night = timezone.now().replace(hour=3, minute=20) + dt.timedelta(days=1)
    with time_machine.travel(night - dt.timedelta(hours=1), tick=False):
        tasks.schedule_syncs()  # an ordinary sync before the hour
    with time_machine.travel(night, tick=False):
        assert tasks.schedule_syncs()["queued"] == ["nightly"]
        assert tasks.schedule_syncs()["queued"] == []  # under way: not again
    with time_machine.travel(night + dt.timedelta(hours=1), tick=False):
        assert tasks.schedule_syncs()["queued"] == ["nightly"]  # its poll interval, not more
    assert [kw for _, kw in queued][1:] == [
        {"full": True, "trigger": "reconcile"},
        {"full": False, "trigger": "schedule"},
    ]
