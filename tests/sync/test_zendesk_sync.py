"""Zendesk through the one sync and ingest step, against the fake over real HTTP: the mirror
equals the source after each of two syncs with changes in between (a ticket changed after
it was read, tickets sharing a second at a page edge, one changed in the minute Zendesk
leaves out, deletions), bad records quarantined, the rate limit paced and honoured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.models import Connector, QuarantinedRecord, SyncRun, Ticket
from tests.connectors.fakes import Reply
from tests.connectors.zendesk_fake import EMAIL, GROUPS, TOKEN, USERS, ZendeskFake, ticket, unix
from tests.sync import source_runs
from tests.sync.source_runs import sync_ok

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)
SHARED = NOW - timedelta(hours=5)  # one second three tickets share


class Sleeps(source_runs.Sleeps):
    """The waits asked for: kept, and passed on Zendesk's clock instead of ours."""

    def __init__(self, fake: ZendeskFake) -> None:
        super().__init__()
        self.fake = fake

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        self.fake.advance(seconds)


def _source() -> list[dict[str, Any]]:
    return [
        ticket(1, NOW - timedelta(days=40), status="open", priority="urgent"),
        ticket(2, NOW - timedelta(days=3), status="pending", priority=None),
        # Three tickets in one second, across the edge of a 2-ticket page.
        ticket(3, SHARED, status="solved", group=None),
        ticket(4, SHARED, status="new", assignee=None, tags=["blocker", "vip"]),
        ticket(5, SHARED, status="hold", priority="low"),
        ticket(6, NOW - timedelta(hours=1), status="closed", priority="high"),
    ]


@pytest.fixture
def fake() -> Iterator[ZendeskFake]:
    server = ZendeskFake(_source())
    yield server
    server.close()


def _connector(fake: ZendeskFake, **options: Any) -> Connector:
    connector = Connector(
        slug="zd",
        name="Zendesk",
        kind="zendesk",
        base_url=fake.base_url,
        auth_type="basic",
        username=f"{EMAIL}/token",
        page_size=2,
        blocker_labels=["blocker"],
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
            t.reopen_count,
        )
        for t in Ticket.objects.filter(missing_from_source=False)
    }


def _expected(fake: ZendeskFake) -> dict[str, tuple[Any, ...]]:
    """What Zendesk's export serves now: every ticket but the deleted ones and those
    changed in the last minute (an earlier version of those is mirrored: checked apart)."""
    category = {
        "new": "open",
        "open": "open",
        "pending": "in_progress",
        "hold": "in_progress",
        "solved": "resolved",
        "closed": "closed",
    }
    priority = {"urgent": 1, "high": 2, "normal": 3, "low": 4, None: 3}
    names = {i: n for n, i in {**USERS, **GROUPS}.items()}
    horizon = unix(fake.clock() - timedelta(minutes=1))
    expected = {}
    for record in fake.tickets.values():
        if record["status"] in ("deleted", "bogus") or record["generated_timestamp"] > horizon:
            continue
        expected[str(record["id"])] = (
            f"ZD-{record['id']}",
            category[record["status"]],
            priority[record["priority"]],
            names.get(record["assignee_id"]),
            names.get(record["group_id"]),
            fake.metric_sets[record["id"]]["reopens"],
        )
    return expected


def test_two_syncs_mirror_the_source_exactly(fake: ZendeskFake) -> None:
    connector, sleeps = _connector(fake), Sleeps(fake)
    # Changed just now: the export leaves it out until a minute has passed, and the first
    # read, once caught up, asks again a minute later.
    fake.create(ticket(7, fake.clock(), status="open"))
    first = sync_ok(connector, sleeps)
    assert _mirror() == _expected(fake)
    assert (first.created, first.rejected) == (7, 0)
    assert 60 < sleeps[-1] <= 61  # the minute waited once caught up
    one = Ticket.objects.get(external_id="1")
    assert one.url == f"{fake.base_url}/agent/tickets/1"
    assert one.is_blocking  # urgent, open
    assert Ticket.objects.get(external_id="4").is_blocking  # tagged blocker
    exports = fake.requests_to("/incremental/tickets/cursor.json")
    assert exports[0].param("start_time") == "0"
    assert all(r.param("include") == "users,groups,metric_sets,slas" for r in exports)
    assert all(r.param("exclude_deleted") == "" for r in exports)  # deletions wanted

    # Between the syncs (a minute on, so the changes are out of the excluded minute).
    fake.advance(61)
    fake.update(1, status="solved")
    fake.update(2, group="Network", assignee="Grace Hopper")
    fake.update(3, status="open")  # reopened
    fake.system_update(5)  # a system change: nothing of ours moves
    fake.delete(6)
    fake.create(ticket(8, fake.clock(), priority="high"))
    fake.advance(61)
    before = len(fake.requests)

    def change_after_read(run: SyncRun) -> None:
        # Ticket 1 (solved) was read in this run's first page; it is reopened, and Zendesk
        # exports it again further on in the same run.
        if run.pages == 1:
            assert Ticket.objects.get(external_id="1").status_category == "resolved"
            fake.update(1, status="open")
            fake.advance(61)

    second = sync_ok(connector, sleeps, on_page=change_after_read)
    assert _mirror() == _expected(fake)
    assert Ticket.objects.get(external_id="6").missing_from_source
    assert (second.created, second.marked_missing) == (1, 1)  # 8; 6
    for reopened in Ticket.objects.filter(external_id__in=["1", "3"]):
        assert (reopened.status_category, reopened.reopen_count) == ("open", 1)
    assert Ticket.objects.get(external_id="1").is_blocking  # urgent and open again
    # The second sync resumed from Zendesk's cursor: no start time again.
    assert all(r.param("cursor") for r in fake.requests[before:] if "cursor.json" in r.path)

    # Changed just before a run: that run does not see it (the source leaves it out), the
    # next one does, from the cursor.
    fake.update(5, status="solved")
    third = sync_ok(connector, sleeps)
    assert (third.created, third.updated, third.marked_missing) == (0, 0, 0)
    assert Ticket.objects.get(external_id="5").status_category == "in_progress"
    fake.advance(61)
    fourth = sync_ok(connector, sleeps)
    assert (fourth.created, fourth.updated) == (0, 1)
    assert _mirror() == _expected(fake)


def test_a_deleted_ticket_restored_is_mirrored_again(fake: ZendeskFake) -> None:
    connector, sleeps = _connector(fake), Sleeps(fake)
    sync_ok(connector, sleeps)
    fake.delete(2)
    fake.advance(61)
    sync_ok(connector, sleeps)
    assert Ticket.objects.get(external_id="2").missing_from_source
    fake.update(2, status="open")  # restored from the deleted view
    fake.advance(61)
    sync_ok(connector, sleeps)
    assert not Ticket.objects.get(external_id="2").missing_from_source
    assert _mirror() == _expected(fake)


def test_a_full_sync_reads_everything_and_flags_only_the_deleted(fake: ZendeskFake) -> None:
    connector, sleeps = _connector(fake), Sleeps(fake)
    sync_ok(connector, sleeps)
    fake.delete(5)
    fake.advance(61)
    # Changed just now: left out until the read asks again a minute later, so not flagged.
    fake.update(2, status="solved")
    run = sync_ok(connector, sleeps, full=True)
    assert (run.created, run.updated, run.marked_missing) == (0, 1, 1)
    assert _mirror() == _expected(fake)
    assert not Ticket.objects.get(external_id="2").missing_from_source
    exports = fake.requests_to("/incremental/tickets/cursor.json")
    assert [r.param("start_time") for r in exports if r.param("start_time")] == ["0", "0"]


def test_a_bad_record_is_quarantined_with_its_reason(fake: ZendeskFake) -> None:
    bad = ticket(9, NOW - timedelta(hours=2))
    bad["status"] = "bogus"
    fake.create(bad)
    run = sync_ok(_connector(fake), Sleeps(fake))
    assert run.rejected == 1
    record = QuarantinedRecord.objects.get()
    assert record.external_id == "9" and "unknown status 'bogus'" in record.reason
    assert _mirror() == _expected(fake)


def test_requests_are_paced_and_a_429_waits_its_retry_after(fake: ZendeskFake) -> None:
    fake.inject(
        Reply(
            429,
            {"error": "APIRateLimitExceeded", "description": "Too many requests"},
            headers={"Retry-After": "17"},
        )
    )
    sleeps = Sleeps(fake)
    sync_ok(_connector(fake), sleeps)
    assert _mirror() == _expected(fake)
    # The 429 and its retry, two more pages of 2, and the read a minute after catching up.
    assert len(fake.requests_to("/incremental/tickets/cursor.json")) == 5
    retry_after, *pacing, settle = sleeps
    assert retry_after == 17.0
    # 10 a minute: each page after the first is asked for six seconds after the last.
    assert len(pacing) == 2 and all(5.0 < s <= 6.0 for s in pacing)
    assert 60 < settle <= 61


def test_the_pace_is_an_option(fake: ZendeskFake) -> None:
    sleeps = Sleeps(fake)
    sync_ok(_connector(fake, requests_per_minute=30), sleeps)
    *pacing, settle = sleeps
    assert pacing and all(1.0 < s <= 2.0 for s in pacing) and settle > 60


def test_a_failed_reread_of_quarantined_records_is_a_warning_not_a_failed_run(
    fake: ZendeskFake,
) -> None:
    """One id the source refuses would otherwise fail every run from then on."""
    connector = _connector(fake)
    sleeps = Sleeps(fake)
    sync_ok(connector, sleeps)
    QuarantinedRecord.objects.create(connector=connector, external_id="3", reason="garbled")
    refused = {"error": "InvalidValue", "description": "ids is invalid"}
    fake.inject(Reply(200, {"tickets": [], "end_of_stream": True}), Reply(400, refused))
    run = sync_ok(connector, sleeps)
    assert fake.requests[-1].path == "/api/v2/tickets/show_many.json"
    [warning] = SyncRun.objects.get(pk=run.pk).warnings
    assert warning.startswith("Quarantined records could not be read again this run")
    assert "show_many.json was rejected (HTTP 400): InvalidValue" in warning
    connector.refresh_from_db()
    assert connector.last_error == ""
    assert QuarantinedRecord.objects.get(external_id="3").resolved_at is None
