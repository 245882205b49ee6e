"""JSM Operations through the one sync and ingest step, against the fake over real HTTP:
the mirror equals the source after each of two syncs with changes in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors.jsm_ops import JsmOpsConnector, raw_status
from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.fakes import Reply
from tests.connectors.jsm_ops_fake import EMAIL, TOKEN, JsmOpsFake, alert
from tests.sync.source_runs import Sleeps, sync_ok

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)
CATEGORY = {"open": "open", "acknowledged": "in_progress", "snoozed": "in_progress"}


def _source() -> list[dict[str, Any]]:
    return [
        # Created long before any creation window a later sync reads: only the open list
        # and the read by id can tell its changes.
        alert(1, NOW - timedelta(days=40), priority="P1"),
        alert(2, NOW - timedelta(days=30), priority="P2", owner="Ada Lovelace"),
        alert(3, NOW - timedelta(days=2), status="closed", priority="P5"),
        # Two alerts sharing a creation time, at the edge of a 2-record page.
        alert(4, NOW - timedelta(hours=5), status="closed", team=None),
        alert(5, NOW - timedelta(hours=5), acknowledged=True),
        alert(6, NOW - timedelta(hours=1), priority="P4"),
    ]


@pytest.fixture
def fake() -> Iterator[JsmOpsFake]:
    server = JsmOpsFake(_source())
    yield server
    server.close()


def _connector(fake: JsmOpsFake, **options: Any) -> Connector:
    connector = Connector(
        slug="ops",
        name="JSM Operations",
        kind="jsm_ops",
        base_url=fake.api_url,
        auth_type="basic",
        username=EMAIL,
        page_size=2,
        options=options,
    )
    connector.set_secret(TOKEN)
    connector.save()
    return connector


def _mirror() -> dict[str, tuple[Any, ...]]:
    return {
        t.external_id: (
            t.key,
            t.status_category,
            t.priority,
            t.assignee or None,
            t.missing_from_source,
        )
        for t in Ticket.objects.all()
    }


def _expected(fake: JsmOpsFake, gone: tuple[str, ...] = ()) -> dict[str, tuple[Any, ...]]:
    expected: dict[str, tuple[Any, ...]] = {}
    for record in fake.alerts.values():
        if record["priority"] == "SEV1":
            continue
        status = raw_status(record)
        expected[record["id"]] = (
            f"ALERT-{record['tinyId']}",
            CATEGORY.get(status, "resolved"),
            int(record["priority"][1]),
            record["owner"] or None,
            False,
        )
    for ident in gone:
        expected[ident] = (*expected[ident][:4], True)
    return expected


def test_two_syncs_mirror_the_source_exactly(fake: JsmOpsFake) -> None:
    connector = _connector(fake)
    first = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (first.created, first.rejected) == (6, 0)
    one = Ticket.objects.get(key="ALERT-1")
    assert one.ci == "payments-api" and one.is_blocking  # P1, open
    assert sorted(connector_cursor(connector)["open"]) == sorted(
        r["id"] for r in fake.alerts.values() if r["status"] == "open"
    )

    # Between the syncs: the old open alerts are closed and acknowledged (in no creation
    # window: the one closed is no longer open, so only the read by id finds it), one is
    # snoozed, one reassigned, one created.
    old_closed, old_acked = alert(1, NOW)["id"], alert(2, NOW)["id"]
    fake.close_alert(old_closed)
    fake.acknowledge(old_acked)
    fake.snooze(alert(6, NOW)["id"])
    fake.assign(alert(5, NOW)["id"], "Grace Hopper")
    fake.create(alert(7, datetime.now(UTC), priority="P3"))
    second = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (second.created, second.updated, second.rejected) == (1, 4, 0)
    closed = Ticket.objects.get(external_id=old_closed)
    assert closed.status_category == "resolved" and not closed.is_blocking
    assert closed.resolved_at is not None
    assert fake.requests_to(f"/v1/alerts/{old_closed}")  # read by its id

    third = sync_ok(connector)
    assert (third.created, third.updated) == (0, 0)
    assert _mirror() == _expected(fake)


def connector_cursor(connector: Connector) -> dict[str, Any]:
    connector.refresh_from_db()
    assert isinstance(connector.cursor, dict)
    return connector.cursor


def test_an_alert_deleted_in_jsm_is_marked_missing(fake: JsmOpsFake) -> None:
    connector = _connector(fake)
    sync_ok(connector)
    deleted = alert(1, NOW)["id"]
    fake.delete(deleted)
    run = sync_ok(connector)
    assert run.marked_missing == 1
    gone = Ticket.objects.get(external_id=deleted)
    assert gone.missing_from_source and not gone.is_blocking
    fake.create(alert(1, NOW - timedelta(days=40), priority="P1"))  # for _expected's sake
    assert _mirror() == _expected(fake, gone=(deleted,))


def test_a_bad_record_is_quarantined_with_its_reason(fake: JsmOpsFake) -> None:
    fake.create(alert(8, NOW - timedelta(hours=2), priority="SEV1"))
    run = sync_ok(_connector(fake))
    assert run.rejected == 1
    record = QuarantinedRecord.objects.get()
    assert "unknown priority 'SEV1'" in record.reason
    assert _mirror() == _expected(fake)


def test_a_429_waits_retry_after(fake: JsmOpsFake) -> None:
    fake.inject(
        Reply(
            429,
            {"message": "Rate limit exceeded"},
            headers={"Retry-After": "7", "X-RateLimit-Reset": "2026-12-07T17:05Z"},
        )
    )
    sleeps = Sleeps()
    sync_ok(_connector(fake), sleeps)
    assert sleeps == [7.0]
    assert _mirror() == _expected(fake)


def test_reads_are_sliced_at_the_record_cap(
    fake: JsmOpsFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More alerts than the (lowered) cap, some sharing a creation time at a slice's edge.
    for n in range(10, 20):
        fake.create(alert(n, NOW - timedelta(days=20 + n // 3), status="closed"))
    fake.max_records = 5
    monkeypatch.setattr(JsmOpsConnector, "max_records", 5)
    run = sync_ok(_connector(fake))
    assert _mirror() == _expected(fake)
    assert run.created == 16
    restarts = {r.param("query") for r in fake.requests_to("/v1/alerts")}
    assert sum("createdAt >=" in q for q in restarts) >= 3


def test_a_full_sync_reads_back_to_the_oldest_alert(fake: JsmOpsFake) -> None:
    fake.create(alert(30, NOW - timedelta(days=700), status="closed"))
    connector = _connector(fake)
    sync_ok(connector)
    assert _mirror() == _expected(fake)
    run = sync_ok(connector, full=True)
    assert (run.created, run.updated, run.marked_missing) == (0, 0, 0)
    assert _mirror() == _expected(fake)
