"""The two sources' timestamp formats (../shared/reference/itsm-apis.md, sections 1 and 2).

The simulator keeps time as integers (ServiceNow: epoch seconds, Jira: epoch milliseconds) and
renders it only on the wire.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_SN_FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the simulator works in aware datetimes")
    return int(moment.timestamp())


def to_epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the simulator works in aware datetimes")
    return int(moment.timestamp() * 1000)


def servicenow_format(epoch_seconds: int) -> str:
    """``"2016-12-14 02:46:44"``: Table API values are UTC with no zone suffix; 0 means empty
    (ServiceNow sends "" for an empty field, never null)."""
    if epoch_seconds == 0:
        return ""
    return servicenow_text(epoch_seconds)


def servicenow_text(epoch_seconds: int) -> str:
    """The same format, for query literals, where 1970-01-01 00:00:00 is a real time."""
    return time.strftime(_SN_FORMAT, time.gmtime(epoch_seconds))


def servicenow_parse(text: str) -> int:
    """Parse ``YYYY-MM-DD HH:MM:SS`` (or ``YYYY-MM-DD``) as UTC; ValueError otherwise."""
    text = text.strip()
    layout = _SN_FORMAT if len(text) > 10 else "%Y-%m-%d"
    return calendar.timegm(time.strptime(text, layout))


def jira_format(epoch_ms: int, zone: ZoneInfo) -> str:
    """``"2024-01-01T10:00:00.000+0100"``: Jira renders timestamps in the requesting account's
    offset, with milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, zone)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}{moment:%z}"


# JQL date literals: "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd", "yyyy-MM-dd".
_JQL_DATE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
# Relative literals: -5m, -2h, -1d, -1w (also positive, and "4w 2d" is not supported).
_JQL_RELATIVE = re.compile(r"^([-+]?)(\d+)([mhdw])$")
_UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def jql_date_to_epoch_ms(literal: str, zone: ZoneInfo, now_ms: int) -> int:
    """Read a JQL date literal the way Jira Cloud does: minute precision, in the account's
    time zone (JRACLOUD-74279); an unquoted number is epoch milliseconds."""
    literal = literal.strip()
    if literal.isdigit():
        return int(literal)
    relative = _JQL_RELATIVE.match(literal)
    if relative:
        sign = -1 if relative.group(1) == "-" else 1
        return now_ms + sign * int(relative.group(2)) * _UNITS[relative.group(3)]
    absolute = _JQL_DATE.match(literal)
    if not absolute:
        raise ValueError(literal)
    year, month, day, hour, minute = (int(part or 0) for part in absolute.groups())
    local = datetime(year, month, day, hour, minute, tzinfo=zone)
    return to_epoch_ms(local)


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)
