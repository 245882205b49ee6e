"""GitLab through the one sync and ingest step, against the fake over real HTTP: the mirror
equals the source after each of two syncs with changes in between, and a full sync marks
what the project no longer lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.gitlab_fake import PROJECT, TOKEN, GitLabFake, issue
from tests.sync.source_runs import Sleeps, sync_ok

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)


def _source() -> list[dict[str, Any]]:
    edge = NOW - timedelta(hours=2)
    return [
        issue(1, NOW - timedelta(days=9), labels=("P1",), assignees=("ada",)),
        issue(2, NOW - timedelta(days=5), state="closed", milestone="15.11"),
        # Three sharing one update time across the edges of 2-record pages.
        issue(3, edge, labels=("bug",)),
        issue(4, edge, labels=("P2", "blocker"), assignees=("grace",)),
        issue(5, edge, state="closed"),
        issue(6, NOW - timedelta(hours=1), labels=("P4",), milestone="16.0"),
    ]


@pytest.fixture
def fake() -> Iterator[GitLabFake]:
    server = GitLabFake(_source())
    yield server
    server.close()


def _connector(fake: GitLabFake) -> Connector:
    connector = Connector(
        slug="gl",
        name="GitLab",
        kind="gitlab",
        base_url=fake.base_url,
        auth_type="bearer",
        query=PROJECT,
        blocker_labels=["blocker"],
        page_size=2,
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
            t.is_blocking,
            t.assignee or None,
            tuple(t.labels),
            tuple(t.components),
        )
        for t in Ticket.objects.filter(missing_from_source=False)
    }


def _expected(fake: GitLabFake) -> dict[str, tuple[Any, ...]]:
    expected = {}
    for record in fake.issues.values():
        if record["state"] == "bogus":
            continue
        labels = tuple(n["title"] for n in record["labels"]["nodes"])
        priority = min([int(n[1]) for n in labels if n in ("P1", "P2", "P3", "P4")] or [3])
        active = record["state"] == "opened"
        assignees = record["assignees"]["nodes"]
        expected[record["id"].rsplit("/", 1)[1]] = (
            f"{PROJECT}#{record['iid']}",
            "open" if active else "closed",
            priority,
            active and (priority <= 2 or "blocker" in labels),
            assignees[0]["username"] if assignees else None,
            labels,
            (record["milestone"]["title"],) if record["milestone"] else (),
        )
    return expected


def test_two_syncs_mirror_the_source_exactly(fake: GitLabFake) -> None:
    connector = _connector(fake)
    first = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (first.created, first.rejected) == (6, 0)
    connector.refresh_from_db()
    newest = datetime.fromisoformat(connector.cursor["since"])

    # Between the syncs: changes after the first read, one of them within the very second
    # the cursor stopped at; a new issue stamped that same second; a new one now.
    fake.update(1, state="closed")
    fake.update(3, labels={"nodes": [{"title": "P1"}]}, assignees={"nodes": [{"username": "x"}]})
    fake.update(6, newest, labels={"nodes": [{"title": "P2"}]})
    fake.add(issue(7, newest, labels=("P3",)))
    fake.add(issue(8, datetime.now(UTC), assignees=("ada",)))
    asked = len(fake.queries)
    second = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (second.created, second.updated, second.rejected) == (2, 3, 0)
    window = (newest - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {q["variables"]["since"] for q in fake.queries[asked:]} == {window}

    third = sync_ok(connector)
    assert (third.created, third.updated) == (0, 0)
    assert _mirror() == _expected(fake)


def test_a_full_sync_marks_deleted_issues_gone(fake: GitLabFake) -> None:
    connector = _connector(fake)
    sync_ok(connector)
    fake.delete(4)  # GitLab sends no hook for a deletion: the full sync is what tells
    run = sync_ok(connector, full=True)
    assert (run.created, run.updated, run.marked_missing) == (0, 0, 1)
    assert Ticket.objects.get(key=f"{PROJECT}#4").missing_from_source
    assert _mirror() == _expected(fake)


def test_a_bad_record_is_quarantined_with_its_reason(fake: GitLabFake) -> None:
    bad = issue(9, NOW - timedelta(hours=3))
    bad["state"] = "bogus"
    fake.add(bad)
    run = sync_ok(_connector(fake))
    assert run.rejected == 1
    assert "unknown status 'bogus'" in QuarantinedRecord.objects.get().reason
    assert _mirror() == _expected(fake)


def test_a_429_waits_the_retry_after(fake: GitLabFake) -> None:
    fake.inject(fake.throttled(retry_after=5), fake.throttled(retry_after=2))
    sleeps = Sleeps()
    sync_ok(_connector(fake), sleeps)
    assert sleeps == [5.0, 2.0]
    assert _mirror() == _expected(fake)
