"""Time helpers shared by the connectors: parsing, cursor format, query literals.

Everything a connector hands out is an aware UTC ``datetime``. Sources differ in what they
send (ServiceNow: naive UTC strings; Jira: offsets like ``+0100``; RT: ``Z``) and in how they
read the literals in a query (Jira and RT: in the API user's time zone), so the conversions
live here, once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigurationError, RecordRejected

__all__ = [
    "EARLIEST",
    "LATEST",
    "TimestampOutOfRange",
    "check_in_range",
    "format_cursor_time",
    "iso_field",
    "load_zone",
    "parse_cursor_time",
    "parse_iso_datetime",
    "wall_clock_at_or_before",
]


# No ITSM record is dated outside these. They keep well away from the ends of Python's
# datetime (years 1 and 9999), so converting a stored time to any zone, or adding a cursor's
# overlap window to it, cannot overflow: "9999-12-31T23:59:59-14:00" is past the end in UTC.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class TimestampOutOfRange(ValueError):
    """A well-formed timestamp outside EARLIEST..LATEST; the message says so."""


def check_in_range(value: datetime, name: str) -> datetime:
    """``value``, or TimestampOutOfRange naming the field ``name``."""
    if not EARLIEST <= value < LATEST:
        raise TimestampOutOfRange(
            f"{name!r} is {value.isoformat()}, outside the years "
            f"{EARLIEST.year}-{LATEST.year - 1} a ticket can be dated"
        )
    return value


def parse_iso_datetime(value: str) -> datetime:
    """An ISO-8601 timestamp with an offset (``Z``, ``+01:00`` or ``+0100``) as UTC.

    Raises ValueError when the value is not one, or has no offset: a timestamp without a
    zone from a source that promised one is garbled, not UTC. Raises TimestampOutOfRange
    (a ValueError) when it is one but lies beyond what a datetime holds in UTC.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise TimestampOutOfRange(
            f"{value!r} is outside the years {EARLIEST.year}-{LATEST.year - 1} "
            "a ticket can be dated"
        ) from exc


def iso_field(
    record: Mapping[str, Any], name: str, *, expected: str, unset: Collection[str] = ()
) -> datetime | None:
    """The ISO-8601 timestamp in ``record[name]`` as UTC; None when it is absent, empty or one
    of the source's ``unset`` markers. Anything else is a RecordRejected naming the field and
    saying what was ``expected`` (the source's own word for its format)."""
    value = record.get(name)
    if value is None or value == "" or value in unset:
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{name!r} is a {type(value).__name__}, not a timestamp")
    try:
        return parse_iso_datetime(value)
    except TimestampOutOfRange as exc:
        raise RecordRejected(f"{name!r}: {exc}") from exc
    except ValueError as exc:
        raise RecordRejected(f"{name!r} is not {expected}: {value!r}") from exc


def format_cursor_time(value: datetime) -> str:
    """UTC, ISO-8601 with ``Z``; microseconds only when there are some."""
    value = value.astimezone(UTC)
    spec = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return value.strftime(spec)


def parse_cursor_time(value: str) -> datetime:
    return parse_iso_datetime(value)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Berlin``); a clear error when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"unknown time zone {name!r}") from exc


def wall_clock_at_or_before(instant: datetime, zone: tzinfo, resolution: timedelta) -> datetime:
    """The latest local wall-clock time, truncated to ``resolution``, that is not after
    ``instant`` however the source reads it.

    Sources read a query literal like ``"2024/10/27 02:30"`` in the user's zone. Around a
    daylight-saving change one wall time can mean two instants; we step back until both
    readings are at or before ``instant``, so a literal never starts the window late (which
    would lose records). Returns a naive datetime for formatting.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be aware")
    local = instant.astimezone(zone).replace(tzinfo=None)
    step = int(resolution.total_seconds())
    epoch = datetime(1970, 1, 1)
    seconds = int((local - epoch).total_seconds())
    local = epoch + timedelta(seconds=seconds - seconds % step)
    while True:
        readings = (
            local.replace(tzinfo=zone, fold=0).astimezone(UTC),
            local.replace(tzinfo=zone, fold=1).astimezone(UTC),
        )
        if max(readings) <= instant:
            return local
        local -= resolution
