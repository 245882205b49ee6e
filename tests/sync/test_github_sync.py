"""GitHub through the one sync and ingest step, against the fake over real HTTP: the mirror
equals the source after each of two syncs with changes in between, and a full sync marks
what the repository no longer lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.models import Connector, QuarantinedRecord, Ticket
from tests.connectors.github_fake import TOKEN, GitHubFake, issue
from tests.sync.source_runs import Sleeps, sync_ok

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)
CATEGORY = {"OPEN": "open", "CLOSED": "closed", "NOT_PLANNED": "cancelled"}


def _source() -> list[dict[str, Any]]:
    edge = NOW - timedelta(hours=2)
    return [
        issue(1, NOW - timedelta(days=9), labels=("P1",), assignees=("ada",)),
        issue(2, NOW - timedelta(days=5), state="CLOSED", milestone="v1"),
        # Three sharing one update time across the edges of 2-record pages.
        issue(3, edge, labels=("bug",)),
        issue(4, edge, labels=("P2", "blocker"), assignees=("grace",)),
        issue(5, edge, state="CLOSED", reason="NOT_PLANNED"),
        issue(6, NOW - timedelta(hours=1), labels=("P4",), milestone="v2"),
    ]


@pytest.fixture
def fake() -> Iterator[GitHubFake]:
    server = GitHubFake(_source())
    yield server
    server.close()


def _connector(fake: GitHubFake) -> Connector:
    connector = Connector(
        slug="gh",
        name="GitHub",
        kind="github",
        base_url=fake.base_url,
        auth_type="bearer",
        query="acme/widgets",
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


def _expected(fake: GitHubFake) -> dict[str, tuple[Any, ...]]:
    expected = {}
    for record in fake.issues.values():
        if record["state"] == "BOGUS":
            continue
        labels = tuple(n["name"] for n in record["labels"]["nodes"])
        priority = min([int(n[1]) for n in labels if n in ("P1", "P2", "P3", "P4")] or [3])
        reason = record["stateReason"]
        category = CATEGORY[reason if reason == "NOT_PLANNED" else record["state"]]
        active = category == "open"
        assignees = record["assignees"]["nodes"]
        expected[record["id"]] = (
            f"acme/widgets#{record['number']}",
            category,
            priority,
            active and (priority <= 2 or "blocker" in labels),
            assignees[0]["login"] if assignees else None,
            labels,
            (record["milestone"]["title"],) if record["milestone"] else (),
        )
    return expected


def test_two_syncs_mirror_the_source_exactly(fake: GitHubFake) -> None:
    connector = _connector(fake)
    first = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (first.created, first.rejected) == (6, 0)
    ticket = Ticket.objects.get(key="acme/widgets#1")
    assert ticket.url == "https://github.com/acme/widgets/issues/1" and ticket.ci == "acme/widgets"
    connector.refresh_from_db()
    newest = connector.cursor["since"]

    # Between the syncs: changes after the first read, one of them within the very second
    # the cursor stopped at; a new issue stamped that same second; a new one now.
    fake.update(1, state="CLOSED", stateReason="COMPLETED")
    fake.update(3, labels={"nodes": [{"name": "P1"}]}, assignees={"nodes": [{"login": "linus"}]})
    fake.update(6, datetime.fromisoformat(newest), labels={"nodes": [{"name": "P2"}]})
    fake.add(issue(7, datetime.fromisoformat(newest), labels=("P3",)))
    fake.add(issue(8, datetime.now(UTC), assignees=("ada",)))
    asked = len(fake.queries)
    second = sync_ok(connector)
    assert _mirror() == _expected(fake)
    assert (second.created, second.updated, second.rejected) == (2, 3, 0)
    # The second run asked from the first one's newest time less the overlap.
    window = datetime.fromisoformat(newest) - timedelta(seconds=60)
    since = {q["variables"]["since"] for q in fake.queries[asked:]}
    assert since == {window.strftime("%Y-%m-%dT%H:%M:%SZ")}

    third = sync_ok(connector)
    assert (third.created, third.updated) == (0, 0)
    assert _mirror() == _expected(fake)


def test_a_full_sync_marks_deleted_and_transferred_issues_gone(fake: GitHubFake) -> None:
    connector = _connector(fake)
    sync_ok(connector)
    fake.delete(4)  # deleted, or transferred to another repository: no longer listed
    run = sync_ok(connector, full=True)
    assert (run.created, run.updated, run.marked_missing) == (0, 0, 1)
    gone = Ticket.objects.get(key="acme/widgets#4")
    assert gone.missing_from_source and not gone.is_blocking
    assert _mirror() == _expected(fake)


def test_a_bad_record_is_quarantined_with_its_reason(fake: GitHubFake) -> None:
    bad = issue(9, NOW - timedelta(hours=3))
    bad["state"] = "BOGUS"
    fake.add(bad)
    run = sync_ok(_connector(fake))
    assert run.rejected == 1
    assert "unknown status 'bogus'" in QuarantinedRecord.objects.get().reason
    assert _mirror() == _expected(fake)


def test_a_quarantined_issue_is_read_again_by_its_node_id(fake: GitHubFake) -> None:
    """Mended in the source with no new update time (the cursor is past it): read again
    by id on the next run, mirrored, and its quarantine resolved."""
    bad = issue(9, NOW - timedelta(hours=3))
    bad["state"] = "BOGUS"
    fake.add(bad)
    connector = _connector(fake)
    assert sync_ok(connector).rejected == 1
    bad["state"] = "OPEN"  # the same updatedAt
    QuarantinedRecord.objects.create(connector=connector, external_id="I_gone", reason="x")
    second = sync_ok(connector)
    assert second.created == 1 and second.warnings == []
    assert _mirror() == _expected(fake)
    resolved = QuarantinedRecord.objects.get(external_id=bad["id"]).resolved_at
    assert resolved is not None
    assert QuarantinedRecord.objects.get(external_id="I_gone").resolved_at is None
    asked = [q for q in fake.queries if "nodes(ids:" in q["query"]][-1]
    assert sorted(asked["variables"]["ids"]) == sorted([bad["id"], "I_gone"])


def test_a_rate_limit_waits_for_the_reset(fake: GitHubFake) -> None:
    fake.inject(fake.rate_limited(reset_in=9))
    sleeps = Sleeps()
    sync_ok(_connector(fake), sleeps)
    assert len(sleeps) == 1 and 7 <= sleeps[0] <= 9
    assert _mirror() == _expected(fake)
