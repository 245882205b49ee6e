"""PagerDuty through the one sync and ingest step, against the fake over real HTTP: the
mirror equals the source after each of two syncs with changes in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.connectors.pagerduty import PagerDutyConnector
from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.fakes import Reply
from tests.connectors.pagerduty_fake import TOKEN, PagerDutyFake, incident, iso
from tests.sync.source_runs import Sleeps, sync_ok

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)


def _source() -> list[dict[str, Any]]:
    return [
        # Created long before any creation window a later sync reads: only the open list
        # and the log entries can tell its changes.
        incident(1, NOW - timedelta(days=40), status="triggered", priority="P1"),
        incident(2, NOW - timedelta(days=3), status="acknowledged", priority=None),
        incident(3, NOW - timedelta(days=2), status="resolved", urgency="low", priority=None),
        # Two incidents sharing a creation time, at the edge of a 2-record page.
        incident(4, NOW - timedelta(hours=5), status="resolved", team=None),
        incident(5, NOW - timedelta(hours=5), status="triggered", assignee=None),
        incident(6, NOW - timedelta(hours=1), status="triggered", priority="P4"),
    ]


@pytest.fixture
def fake() -> Iterator[PagerDutyFake]:
    server = PagerDutyFake(_source())
    yield server
    server.close()


def _connector(fake: PagerDutyFake, **options: Any) -> Connector:
    connector = Connector(
        slug="pd",
        name="PagerDuty",
        kind="pagerduty",
        base_url=fake.base_url,
        auth_type="token",
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
            t.assignment_group or None,
        )
        for t in Ticket.objects.all()
    }


def _expected(fake: PagerDutyFake) -> dict[str, tuple[Any, ...]]:
    category = {"triggered": "open", "acknowledged": "in_progress", "resolved": "resolved"}
    expected = {}
    for record in fake.incidents.values():
        if record["status"] == "bogus":
            continue
        priority = record["priority"]
        urgency = 2 if record["urgency"] == "high" else 4
        assignments = record["assignments"]
        teams = record["teams"]
        expected[record["id"]] = (
            f"PD-{record['incident_number']}",
            category[record["status"]],
            int(priority["summary"][1]) if priority else urgency,
            assignments[0]["assignee"]["summary"] if assignments else None,
            teams[0]["summary"] if teams else None,
        )
    return expected


@pytest.mark.parametrize("embedded", [True, False], ids=["entries-embed", "read-by-id"])
def test_two_syncs_mirror_the_source_exactly(fake: PagerDutyFake, embedded: bool) -> None:
    fake.embed_incidents = embedded
    connector = _connector(fake)
    first = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (first.created, first.rejected) == (6, 0)
    ticket = Ticket.objects.get(external_id="Q000001")
    assert ticket.url == "https://acme.pagerduty.com/incidents/Q000001"
    assert ticket.ci == "Payments API" and ticket.components == ["Payments API"]
    assert ticket.is_blocking  # P1, open
    # Every request spoke v2 with the key.
    assert {r.headers["accept"] for r in fake.requests} == {
        "application/vnd.pagerduty+json;version=2"
    }

    # Between the syncs: the old open incident is resolved (it is in no creation window and
    # no longer open: only the log entries name it), one is acknowledged, one is new.
    fake.resolve("Q000001")
    fake.acknowledge("Q000006")
    fake.trigger(incident(7, datetime.now(UTC), priority="P3"))
    fake.reassign("Q000002", "Grace Hopper")  # its times stay as they were
    second = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (second.created, second.updated, second.rejected) == (1, 3, 0)
    resolved = Ticket.objects.get(external_id="Q000001")
    assert resolved.status_category == "resolved" and not resolved.is_blocking
    assert resolved.resolved_at is not None
    # Only the log entries name it: embedded in them, or read by its id.
    assert bool(fake.requests_to("/incidents/Q000001")) is not embedded

    third = sync_ok(connector)
    assert (third.created, third.updated) == (0, 0)
    assert _mirror() == _expected(fake)


def test_a_bad_record_is_quarantined_with_its_reason(fake: PagerDutyFake) -> None:
    bad = incident(8, NOW - timedelta(hours=2))
    bad["status"] = "bogus"
    fake.trigger(bad)
    run = sync_ok(_connector(fake))
    assert run.rejected == 1
    record = QuarantinedRecord.objects.get()
    assert "unknown status 'bogus'" in record.reason
    assert _mirror() == _expected(fake)


def test_a_429_waits_the_ratelimit_reset(fake: PagerDutyFake) -> None:
    fake.inject(
        Reply(
            429,
            {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
            headers={"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "7"},
        )
    )
    sleeps = Sleeps()
    sync_ok(_connector(fake), sleeps)
    assert sleeps == [7.0]
    assert _mirror() == _expected(fake)


def test_windows_are_sliced_at_six_months_and_at_the_record_cap(
    fake: PagerDutyFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Older incidents than one 6-month window holds, and more than the (lowered) cap.
    for n in range(10, 20):
        fake.trigger(incident(n, NOW - timedelta(days=200 + n), status="resolved"))
    fake.max_records = 4
    monkeypatch.setattr(PagerDutyConnector, "max_records", 4)
    run = sync_ok(_connector(fake, initial_days=400))
    assert _mirror() == _expected(fake)
    assert run.created == 16
    windows = {(r.param("since"), r.param("until")) for r in fake.requests_to("/incidents")}
    assert any(since and since < iso(NOW - timedelta(days=300)) for since, _ in windows)


def test_a_full_sync_reads_back_to_the_oldest_incident(fake: PagerDutyFake) -> None:
    # Older than any one 6-month window: without initial_days every incident is read, so
    # a full sync flags nothing as gone from the source.
    fake.trigger(incident(30, NOW - timedelta(days=700), status="resolved"))
    connector = _connector(fake)
    sync_ok(connector)
    assert _mirror() == _expected(fake)
    run = sync_ok(connector, full=True)
    assert (run.created, run.updated, run.marked_missing) == (0, 0, 0)
    assert _mirror() == _expected(fake)
