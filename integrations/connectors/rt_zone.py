"""The UTC offset Request Tracker reads TicketSQL dates at, found by asking RT itself.

RT reads a literal like ``LastUpdated >= '2026-12-07 11:00:00'`` in the API user's time zone:
the user's own ``Timezone``, else the server's ``$Timezone`` (itsm-apis.md §3, point 1). A
default install gives users no zone of their own, and no REST2 resource shows ``$Timezone``
(``lib/RT/REST2`` formats every date it sends in UTC and ``GET /REST/2.0/rt`` has only the
version). So the zone's current offset is found from a ticket RT can see, with TicketSQL:

- Take the most recently updated ticket, ``LastUpdated`` = T (UTC, from REST2).
- RT turns a literal into UTC by subtracting the zone's offset at that date
  (``RT::Date::ParseByTimeParseDate``: parse as GMT, then ``-= Localtime(...)[9]``). So
  ``id = N AND LastUpdated >= 'T + c'`` (T + c written as a wall clock) matches exactly while
  c <= the offset. A binary search over the offsets in use, -12:00..+14:00 in quarter hours,
  finds it in seven queries; the literal at offset + 1 s must no longer match (so the offset
  is exact) and the ticket must be unchanged after the search (else it is done again).

Daylight saving, the limit and how it is met: the offset is the one at T (about now). A
query's start lies in the past and, across a change of daylight saving, the zone may have had
another offset then (usually one hour off, two in Antarctica/Troll). A literal read *earlier*
than meant only re-reads a little (the cursor drops what it has seen); one read *later* would
skip the tickets in between. So every literal made from a found offset is checked before use
(:func:`guarded_literal`): the newest ticket of the connector's own query that RT puts before
the literal must be older than the start. If one is not, no ticket at or after the start can
be missed only once the literal is moved back, which is done an hour at a time, up to two. An
RT whose ``$Timezone`` is known to the admin is better served by the ``time_zone`` option,
which follows the zone's rules exactly and needs none of these queries.

A second limit: RT takes the zone's offset at the literal read *as UTC*, not as local time,
so within a few hours of a change of daylight saving the answers about a ticket updated then
fit no single offset; the search then asks about the next newest ticket (and, after four
tickets, gives up with a ConfigurationError naming the option).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from .errors import ConfigurationError, RecordRejected
from .timestamps import iso_field

__all__ = [
    "QueryZone",
    "find_offset",
    "guarded_literal",
    "offset_name",
    "parse_offset",
]

QUARTER_HOUR = timedelta(minutes=15)
# UTC-12:00 (Baker Island) .. UTC+14:00 (Kiribati): every offset in use, in quarter hours.
LOWEST = -48
HIGHEST = 56
SECOND = timedelta(seconds=1)
DST_STEP = timedelta(hours=1)
DST_STEPS = 2  # one hour in most zones, two in Antarctica/Troll
LITERAL = "%Y-%m-%d %H:%M:%S"

# A TicketSQL query and the sort direction of LastUpdated -> the first ticket RT returns
# (with "id" and "LastUpdated"), or None when nothing matches.
FirstTicket = Callable[[str, str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class QueryZone:
    """Where the TicketSQL literals are read: a named zone, or an offset found by probing."""

    zone: tzinfo
    name: str  # "America/New_York", or "UTC-05:00" for a found offset
    found: bool = False  # a found offset holds for now; literals made from it are checked


def offset_name(offset: timedelta) -> str:
    """``-05:00``, ``+05:30``, ``+00:00``: the form stored in the connector's options."""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_offset(text: str) -> timedelta:
    """The offset ``offset_name`` wrote; ConfigurationError when ``text`` is not one."""
    cleaned = text.strip()
    try:
        if len(cleaned) != 6 or cleaned[0] not in "+-" or cleaned[3] != ":":
            raise ValueError(cleaned)
        hours, minutes = int(cleaned[1:3]), int(cleaned[4:6])
    except ValueError:
        raise ConfigurationError(
            f"option 'time_zone_found' must be an offset like '-05:00', not {text!r}"
        ) from None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if cleaned[0] == "-" else 1)
    if not LOWEST * QUARTER_HOUR <= offset <= HIGHEST * QUARTER_HOUR or minutes >= 60:
        raise ConfigurationError(f"option 'time_zone_found' {text!r} is not a UTC offset")
    return offset


def fixed_zone(offset: timedelta) -> QueryZone:
    return QueryZone(zone=timezone(offset), name=f"UTC{offset_name(offset)}", found=True)


def _literal(instant: datetime, offset: timedelta) -> str:
    return (instant.astimezone(UTC) + offset).strftime(LITERAL)


def _updated(ticket: Mapping[str, Any]) -> tuple[str, datetime] | None:
    try:
        updated = iso_field(ticket, "LastUpdated", expected="a date")
    except RecordRejected:
        return None
    ticket_id = ticket.get("id")
    if updated is None or not str(ticket_id).strip().isdigit():
        return None
    return str(ticket_id).strip(), updated


def find_offset(first_ticket: FirstTicket) -> timedelta | None:
    """RT's offset for query dates now, from its most recently updated ticket; None when RT
    has no ticket to ask about. ConfigurationError when no offset explains RT's answers."""
    passed_over: list[str] = []  # tickets whose answers fit no offset (see the docstring)
    for _attempt in range(4):  # a ticket updated during the search: search again
        newest = first_ticket("id > 0" + "".join(f" AND id != {i}" for i in passed_over), "DESC")
        reference = _updated(newest) if newest is not None else None
        if reference is None:
            if passed_over:
                break
            return None
        ticket_id, updated = reference

        def matches(offset: timedelta, ticket_id: str = ticket_id, at: datetime = updated) -> bool:
            query = f"id = {ticket_id} AND LastUpdated >= '{_literal(at, offset)}'"
            return first_ticket(query, "ASC") is not None

        # matches(c) holds exactly for c <= offset: keep low matching and high not.
        low, high = LOWEST - 1, HIGHEST + 1
        while high - low > 1:
            middle = (low + high) // 2
            if matches(middle * QUARTER_HOUR):
                low = middle
            else:
                high = middle
        offset = low * QUARTER_HOUR
        exact = low >= LOWEST and matches(offset) and not matches(offset + SECOND)
        again = first_ticket(f"id = {ticket_id}", "ASC")
        unchanged = again is not None and _updated(again) == reference
        if exact and unchanged:
            return offset
        if unchanged:
            passed_over.append(ticket_id)  # RT answered for no one offset: the next newest
    raise ConfigurationError(
        "could not find the time zone RT reads query dates in (the RT user has none of its "
        "own and RT's answers fit no UTC offset); set the option 'time_zone' to the RT "
        "server's $Timezone"
    )


def guarded_literal(
    start: datetime, offset: timedelta, admin_query: str, first_ticket: FirstTicket
) -> str | None:
    """A literal for ``LastUpdated >= '...'`` that RT reads at or before ``start``, made with
    a found ``offset``; None when even two hours back it is read later (the offset is wrong).

    RT reads it at or before ``start`` as far as any ticket can tell when the newest ticket of
    the query that RT puts before the literal is older than ``start``: then no ticket lies
    between the two, and nothing is skipped.
    """
    for step in range(DST_STEPS + 1):
        literal = _literal(start.replace(microsecond=0), offset - step * DST_STEP)
        clause = f"LastUpdated < '{literal}'"
        query = f"({admin_query}) AND {clause}" if admin_query else clause
        before = first_ticket(query, "DESC")
        found = _updated(before) if before is not None else None
        if found is None or found[1] < start:
            return literal
    return None
