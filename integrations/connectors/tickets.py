"""A connector's plain data: the ticket it reads (DESIGN §2), what it rejects, and its pages.

What every connector hands to the sync and the webhooks, and nothing that reads a source:
the status categories, :class:`NormalizedTicket` and the blocking rule, :class:`Rejected`
(quarantine), :class:`Page` (what a fetch yields) and :class:`RawPage` (what a pager read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from .watermark import Cursor

__all__ = [
    "ACTIVE_CATEGORIES",
    "STATUS_CATEGORIES",
    "NormalizedTicket",
    "Page",
    "PushAction",
    "RawPage",
    "Rejected",
    "StatusCategory",
    "ticket_is_blocking",
]

StatusCategory = Literal["open", "in_progress", "resolved", "closed", "cancelled"]
STATUS_CATEGORIES: tuple[StatusCategory, ...] = get_args(StatusCategory)
ACTIVE_CATEGORIES: frozenset[StatusCategory] = frozenset({"open", "in_progress"})


@dataclass(slots=True)
class NormalizedTicket:
    """One source ticket in the fields of DESIGN §2; timestamps are aware UTC.

    Read-only by convention, not frozen: a frozen dataclass's __init__ sets each field
    through object.__setattr__, 2 µs a ticket on the ingest's hot path (bench/ingest.py).
    """

    external_id: str
    key: str
    url: str
    title: str
    status_raw: str
    status_category: StatusCategory
    priority: int  # 1 (highest) .. 5
    is_blocker: bool  # the source marks it a blocker (label/component/flag mapped)
    assignee: str | None
    assignment_group: str | None
    reassignment_count: int | None  # None where the tool has no such count (Jira, RT)
    ci: str | None
    components: tuple[str, ...]
    labels: tuple[str, ...]
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    # Changes with every update even within one second of ``updated_at`` where the tool
    # gives us a way to tell (the cursor's de-duplication reads it); "" where it cannot.
    revision: str = ""
    # The SLA result (True breached, False met, None: the source gives none), the SLA or
    # due deadline, and how often the ticket was reopened (None where the tool has no count).
    sla_breached: bool | None = None
    due_at: datetime | None = None
    reopen_count: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status_category in ACTIVE_CATEGORIES


def ticket_is_blocking(ticket: NormalizedTicket, *, blocking_priority: int) -> bool:
    """DESIGN §2: active, and at or above the threshold or marked a blocker by the source.

    The mirror stores this; changing the rule must bump the fingerprint version in
    integrations/ticket_store.py (a test pins it), or unchanged tickets keep the old value.
    """
    return ticket.is_active and (ticket.priority <= blocking_priority or ticket.is_blocker)


@dataclass(frozen=True)
class Rejected:
    """A record that could not be normalized; kept with the reason (quarantine)."""

    external_id: str | None
    reason: str
    raw: object = field(repr=False, compare=False)
    updated_at: datetime | None = None
    # Its place among the records of the page the source sent (0 = first).
    position: int | None = None


@dataclass(frozen=True)
class Page:
    """One page of a fetch: what to upsert, what to quarantine, and the cursor after it.

    Store ``cursor`` only after ``tickets`` and ``rejected`` are committed. ``is_last`` is
    True on the final page of the fetch: the source has nothing more for this query.
    ``received`` counts the records the source sent; ``skipped`` those dropped as already
    processed (overlap window, equal timestamps at page edges). ``warnings`` are for the
    run's record: kept records that need a person's attention (stamped in the future).
    """

    tickets: tuple[NormalizedTicket, ...]
    rejected: tuple[Rejected, ...]
    cursor: Cursor
    is_last: bool
    received: int = 0
    skipped: int = 0
    warnings: tuple[str, ...] = ()
    # External ids the source says it deleted (Zendesk's export carries them; JSM Operations:
    # a read by id answered 404): the ingest step marks them missing.
    deleted: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawPage:
    """What a connector's pager read from the source: raw records, whether it ended, and
    the ids it says were deleted."""

    records: list[object]
    is_last: bool
    deleted: tuple[str, ...] = ()


# "ignore": an event of the tool that is no ticket change (a pull request, a ping).
PushAction = Literal["upsert", "delete", "ignore"]
