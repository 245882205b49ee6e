"""Finding the offset RT reads query dates at, against a model of RT's own reading.

RT reads a TicketSQL date literal as ``RT::Date::ParseByTimeParseDate`` does (RT 5.0.3,
lib/RT/Date.pm): parse it as UTC, then subtract the zone's offset *at that UTC instant*. The
model below does exactly that, so the edge near a change of daylight saving, where the answers
about one ticket fit no single offset, is RT's and not the fake's. The end-to-end test against
a real RT is tests/rt/test_rt_time_zone.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integrations.connectors.errors import ConfigurationError
from integrations.connectors.rt_zone import find_offset, guarded_literal, parse_offset

NEW_YORK = ZoneInfo("America/New_York")
FALL_BACK = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT becomes 01:00 EST


class ModelRT:
    """Tickets (id -> LastUpdated) and the TicketSQL the connector sends, read as RT does."""

    def __init__(self, tickets: Mapping[str, datetime], zone: ZoneInfo = NEW_YORK) -> None:
        self.tickets = dict(tickets)
        self.zone = zone
        self.queries: list[str] = []

    def read(self, literal: str) -> datetime:
        as_utc = datetime.strptime(literal, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        offset = as_utc.astimezone(self.zone).utcoffset()
        assert offset is not None
        return as_utc - offset

    def first_ticket(self, query: str, order: str) -> Mapping[str, Any] | None:
        self.queries.append(query)
        rows = list(self.tickets.items())
        for clause in query.replace("(", "").replace(")", "").split(" AND "):
            if match := re.fullmatch(r"id (=|!=|>) (\d+)", clause.strip()):
                op, number = match.groups()
                test = {"=": int.__eq__, "!=": int.__ne__, ">": int.__gt__}[op]
                rows = [(i, t) for i, t in rows if test(int(i), int(number))]
            elif match := re.fullmatch(r"LastUpdated (>=|<) '(.+)'", clause.strip()):
                op, literal = match.groups()
                bound = self.read(literal)
                rows = [(i, t) for i, t in rows if (t >= bound) == (op == ">=")]
            else:
                raise AssertionError(f"the model does not know {clause!r}")
        rows.sort(key=lambda row: (row[1], int(row[0])), reverse=order == "DESC")
        if not rows:
            return None
        ticket_id, updated = rows[0]
        return {"id": ticket_id, "LastUpdated": updated.strftime("%Y-%m-%dT%H:%M:%SZ")}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("America/New_York", "-05:00"), ("Asia/Kathmandu", "+05:45"), ("UTC", "+00:00"),
     ("Pacific/Kiritimati", "+14:00"), ("Etc/GMT+12", "-12:00"), ("Australia/Lord_Howe", "+11:00")],
)  # fmt: skip
def test_the_offset_now_in_seven_queries_and_three_checks(zone: str, expected: str) -> None:
    rt = ModelRT({"7": datetime(2026, 12, 7, 16, 0, 5, tzinfo=UTC)}, ZoneInfo(zone))
    assert find_offset(rt.first_ticket) == parse_offset(expected)
    assert len(rt.queries) <= 1 + 7 + 2 + 1


def test_no_ticket_no_offset() -> None:
    assert find_offset(ModelRT({}).first_ticket) is None


def test_a_ticket_updated_near_a_change_of_daylight_saving_is_passed_over() -> None:
    # 4 h 10 min after the fall-back: RT reads 'T - 4:00' with EDT's offset but 'T - 4:15'
    # with EST's, so the answers about this ticket change at 4 h 10 min, no offset at all.
    rt = ModelRT(
        {
            "2": datetime(2026, 10, 31, 12, 0, tzinfo=UTC),  # EDT, far from the change
            "9": FALL_BACK + timedelta(hours=4, minutes=10),
        }
    )
    assert find_offset(rt.first_ticket) == parse_offset("-04:00")
    assert "id > 0 AND id != 9" in rt.queries


def test_answers_that_fit_no_offset_are_an_error_naming_the_option() -> None:
    rt = ModelRT({"9": FALL_BACK + timedelta(hours=4, minutes=10)})
    with pytest.raises(ConfigurationError, match="'time_zone'"):
        find_offset(rt.first_ticket)


def test_a_literal_read_after_the_start_is_moved_back_until_nothing_is_skipped() -> None:
    # The offset found in summer (-04:00); the start in winter, when RT reads at -05:00.
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    rt = ModelRT(
        {"1": start - timedelta(minutes=5), "2": start + timedelta(minutes=30)}  # 2 in between
    )
    assert rt.read("2026-12-01 08:00:00") == start + timedelta(hours=1)  # what -04:00 makes
    literal = guarded_literal(start, parse_offset("-04:00"), "", rt.first_ticket)
    assert literal == "2026-12-01 07:00:00" and rt.read(literal) == start
    assert "LastUpdated < '2026-12-01 08:00:00'" in rt.queries
    # Found in winter, used in summer: read an hour early, which only re-reads; kept as is.
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    rt.tickets["3"] = summer + timedelta(minutes=30)
    assert guarded_literal(summer, parse_offset("-05:00"), "", rt.first_ticket) == (
        "2026-07-01 07:00:00"
    )
    # The connector's own query narrows the check: ticket 2 is not among its tickets.
    assert guarded_literal(start, parse_offset("-04:00"), "id = 1", rt.first_ticket) == (
        "2026-12-01 08:00:00"
    )
    # An offset more than two hours off: None, and the connector says so.
    assert guarded_literal(start, parse_offset("+03:00"), "", rt.first_ticket) is None


@pytest.mark.parametrize("text", ["5h", "+5:00", "-05:60", "+15:00", "05:00"])
def test_a_stored_offset_must_be_one(text: str) -> None:
    with pytest.raises(ConfigurationError, match="time_zone_found"):
        parse_offset(text)
