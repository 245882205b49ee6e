"""Leases (cataligent/leases.py) on the real database: one holder, writes only while ours."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from cataligent.leases import Lease, LeaseLost
from integrations.models import Connector
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _lease(connector: Connector, owner: str, seconds: float = 60) -> Lease:
    return Lease(Connector, connector.pk, duration=dt.timedelta(seconds=seconds), owner=owner)


def test_one_holder_at_a_time_and_an_expired_lease_is_taken_over() -> None:
    connector = ConnectorFactory()
    first, second = _lease(connector, "first"), _lease(connector, "second")
    assert first.claim()
    assert not second.claim()
    Connector.objects.filter(pk=connector.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert second.claim()


def test_a_write_after_the_lease_was_taken_over_writes_nothing() -> None:
    connector = ConnectorFactory()
    slow, next_holder = _lease(connector, "slow"), _lease(connector, "next")
    assert slow.claim()
    slow.write(cursor={"at": 1})
    Connector.objects.filter(pk=connector.pk).update(claimed_until=timezone.now())
    assert next_holder.claim()
    next_holder.write(cursor={"at": 2})
    with pytest.raises(LeaseLost):
        slow.write(cursor={"at": 1})
    connector.refresh_from_db()
    assert connector.cursor == {"at": 2} and connector.claimed_by == "next"
    assert not slow.release()
    assert next_holder.release()


def test_the_timer_keeps_a_short_lease_while_the_holder_works() -> None:
    connector = ConnectorFactory()
    lease = _lease(connector, "busy", seconds=0.6)
    assert lease.claim()
    with lease.kept() as keeper:
        time.sleep(1.5)  # more than two leases: only the timer kept it
        assert lease.held().exists()
        assert not _lease(connector, "other").claim()
    assert not keeper.lost
    time.sleep(0.7)  # stopped: it runs out
    assert _lease(connector, "other").claim()


def test_the_timer_notices_a_lease_taken_over() -> None:
    connector = ConnectorFactory()
    lease = _lease(connector, "paused", seconds=0.3)
    assert lease.claim()
    with lease.kept() as keeper:
        Connector.objects.filter(pk=connector.pk).update(claimed_by="thief")
        time.sleep(0.5)
        assert keeper.lost
