"""The incremental-sync cursor: a watermark plus the records seen inside an overlap window.

Every tool we read can only be asked "what changed at or after T?", with T at a coarse
precision (seconds for ServiceNow and RT, minutes for Jira) and with records that can share
one timestamp. The reference (itsm-apis.md §1 "Safe recipe", §2 "Incremental JQL", §3 point
3) gives the same recipe for all three: query with ``>=``, order by time then id, and drop
what was already processed by ``(id, updated)``. This module is that recipe, written once:

- ``since``: the newest ``updated`` processed so far. It never goes back.
- ``window_start``: everything updated before it was processed by an earlier run. Records
  in ``[window_start, since]`` are re-read on the next run (the overlap window, which also
  catches a record whose update committed late) and de-duplicated against ``seen``.
- ``seen``: ``external_id → (updated, revision)`` for the processed records inside the
  window.
- ``ceiling``: the source's own "now". ``since`` never passes it: a record stamped later
  (a clock set wrong, a bad import) is kept, but moving the cursor to its time would skip
  every change made until the source's clock gets there. Such records are listed in
  ``ahead`` so the run can say so.

A record is new when it is at or after ``window_start`` and not seen at that version or a
later one. The version is ``updated`` plus, where the tool has one, a ``revision`` that
changes with every update (ServiceNow's ``sys_mod_count``, a hash of an RT ticket): two
updates within one second share ``updated``, and the recipe's ``(id, updated)`` alone would
drop the second as already processed until the record changed again.

The cursor is a JSON-serialisable dict so the Django side can store it as is; it
is emitted after every page, so a run killed half-way resumes from its last committed page
with nothing lost and nothing duplicated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .errors import ConfigurationError
from .timestamps import format_cursor_time, parse_cursor_time

__all__ = ["CURSOR_VERSION", "Cursor", "Watermark", "scope_fingerprint"]

CURSOR_VERSION = 1
# Bound on the ids kept in a stored cursor. Only a burst of more updates than this inside
# one overlap window hits it; the window then shrinks to the newest entries (records just
# below the cut are treated as processed, which they are).
MAX_SEEN = 5000


class Cursor(TypedDict):
    """The stored sync position of one connector (same shape for every tool)."""

    version: int
    scope: str  # fingerprint of what was queried; a changed query starts over
    since: str | None  # ISO-8601 UTC, e.g. "2016-12-14T02:46:44Z"; None before any record
    window_start: str | None
    # external_id -> updated (ISO-8601 UTC), followed by "#" and the revision if any
    seen: dict[str, str]


def scope_fingerprint(*parts: object) -> str:
    """A short stable hash of what a cursor is valid for (kind, URL, table, query...)."""
    encoded = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


@dataclass
class Watermark:
    scope: str
    overlap: timedelta
    since: datetime | None = None
    # Nothing below it is new: the window of the stored cursor, raised as each page's
    # cursor is emitted (a run carries on as one resumed from that cursor would).
    run_floor: datetime | None = None
    seen: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    ceiling: datetime | None = None
    # external_id -> updated, for the records recorded past the ceiling (the caller clears it).
    ahead: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def from_cursor(
        cls, cursor: Cursor | dict[str, Any] | None, *, scope: str, overlap: timedelta
    ) -> Watermark:
        """Restore the state a cursor describes.

        ``None`` (or a cursor for another scope: the query, table or URL changed since it
        was stored) starts from the beginning, which is always safe: upserts are idempotent.
        A cursor that is not one of ours is refused rather than guessed at.
        """
        if cursor is None:
            return cls(scope=scope, overlap=overlap)
        try:
            if cursor["version"] != CURSOR_VERSION:
                raise ValueError(f"version {cursor['version']!r}")
            if cursor["scope"] != scope:
                return cls(scope=scope, overlap=overlap)
            since = parse_cursor_time(cursor["since"]) if cursor["since"] else None
            floor = parse_cursor_time(cursor["window_start"]) if cursor["window_start"] else None
            seen = {str(k): _parse_version(v) for k, v in dict(cursor["seen"]).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigurationError(
                f"the stored sync cursor is not valid ({exc}); clear it to re-read everything"
            ) from exc
        return cls(scope=scope, overlap=overlap, since=since, run_floor=floor, seen=seen)

    def is_new(self, external_id: str, updated: datetime, revision: str = "") -> bool:
        if self.run_floor is not None and updated < self.run_floor:
            return False
        previous = self.seen.get(external_id)
        if previous is None or updated > previous[0]:
            return True
        return updated == previous[0] and _later_revision(revision, previous[1])

    def record(self, external_id: str, updated: datetime, revision: str = "") -> None:
        previous = self.seen.get(external_id)
        if (
            previous is None
            or updated > previous[0]
            or (updated == previous[0] and _later_revision(revision, previous[1]))
        ):
            self.seen[external_id] = (updated, revision)
        reached = updated
        if self.ceiling is not None and updated > self.ceiling:
            # Kept in ``seen`` with its real time, so re-reading it in the window is no news.
            self.ahead[external_id] = updated
            reached = self.ceiling
        if self.since is None or reached > self.since:
            self.since = reached

    def query_start(self) -> datetime | None:
        """Where this run's first query starts: the window of the stored cursor."""
        return self.run_floor

    def to_cursor(self) -> Cursor:
        if self.since is None:
            return Cursor(
                version=CURSOR_VERSION,
                scope=self.scope,
                since=None,
                window_start=None,
                seen={},
            )
        window_start = self.since - self.overlap
        if self.run_floor is not None:
            # Never reopen what an earlier cursor already settled: ``seen`` has no entries
            # below it, so reopening would re-emit those records.
            window_start = max(window_start, self.run_floor)
        kept = {k: v for k, v in self.seen.items() if v[0] >= window_start}
        if len(kept) > MAX_SEEN:
            cut = sorted((v[0] for v in kept.values()), reverse=True)[MAX_SEEN - 1]
            kept = {k: v for k, v in kept.items() if v[0] >= cut}
            window_start = cut
        # Carry on exactly as a run resumed from this cursor would: forget what lies below
        # the window, so memory stays flat however many records one run reads.
        self.seen = kept
        self.run_floor = window_start
        return Cursor(
            version=CURSOR_VERSION,
            scope=self.scope,
            since=format_cursor_time(self.since),
            window_start=format_cursor_time(window_start),
            seen={k: _format_version(*v) for k, v in sorted(kept.items())},
        )


def run_start_cursor(
    watermark: Watermark, stored: Cursor | None, *, is_last: bool, run_start: datetime | None
) -> Cursor:
    """The cursor after a page of a run whose reads do not come oldest first (open records
    re-read, then those created since; PagerDuty, JSM Operations): a page's records say
    nothing of what is settled, so pages before the last keep the stored cursor (a run
    stopped half way reads again from it), and the last one moves it to ``run_start``, when
    the run's first answer was made, so every change after it is read by the next run."""
    if not is_last:
        if stored is not None:
            return stored
        return Watermark(scope=watermark.scope, overlap=watermark.overlap).to_cursor()
    if run_start is not None:
        watermark.since = run_start
    return watermark.to_cursor()


def _later_revision(revision: str, previous: str) -> bool:
    """Counters (ServiceNow's sys_mod_count) only count up: an older one read late is not
    new. Hashes (RT) have no order: any other one is new."""
    if revision.isdigit() and previous.isdigit():
        return int(revision) > int(previous)
    return revision != previous


def _format_version(updated: datetime, revision: str) -> str:
    stamp = format_cursor_time(updated)
    return f"{stamp}#{revision}" if revision else stamp


def _parse_version(text: str) -> tuple[datetime, str]:
    """``updated[#revision]``; cursors stored before revisions have the time alone."""
    stamp, _, revision = str(text).partition("#")
    return parse_cursor_time(stamp), revision
