"""The cursor (watermark), time-zone literals, configuration and the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.connectors import (
    CONNECTORS,
    ConfigurationError,
    ConnectorConfig,
    NormalizedTicket,
    connector_class,
    ticket_is_blocking,
)
from integrations.connectors.timestamps import wall_clock_at_or_before
from integrations.connectors.watermark import MAX_SEEN, Watermark

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_watermark_drops_what_it_has_and_keeps_updates() -> None:
    mark = Watermark(scope="s", overlap=timedelta(seconds=60))
    assert mark.is_new("a", T0)
    mark.record("a", T0)
    assert not mark.is_new("a", T0)
    assert mark.is_new("a", T0 + SECOND)  # a later version of the same record
    assert mark.is_new("b", T0)  # another record with the same timestamp


def test_a_second_update_within_the_same_second_is_new_by_its_revision() -> None:
    """(id, updated) alone would drop it until the record changed again."""
    mark = Watermark(scope="s", overlap=timedelta(seconds=60))
    mark.record("a", T0, "3")
    assert not mark.is_new("a", T0, "3")  # the same version, re-read in the overlap
    assert mark.is_new("a", T0, "4")  # updated again within the second
    mark.record("a", T0, "4")
    cursor = mark.to_cursor()
    assert cursor["seen"] == {"a": "2026-03-02T09:00:00Z#4"}
    resumed = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(seconds=60))
    assert not resumed.is_new("a", T0, "4")
    assert resumed.is_new("a", T0, "5")
    assert not resumed.is_new("a", T0, "3")  # a counter read late: older, not new
    resumed.record("a", T0, "3")
    assert resumed.seen["a"] == (T0, "4")  # and it does not move the version back
    assert resumed.is_new("a", T0, "c0ffee")  # hashes have no order: any other is new


def test_a_cursor_stored_before_revisions_still_reads() -> None:
    cursor = {
        "version": 1,
        "scope": "s",
        "since": "2026-03-02T09:00:00Z",
        "window_start": "2026-03-02T08:59:00Z",
        "seen": {"a": "2026-03-02T09:00:00Z"},
    }
    resumed = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(seconds=60))
    assert not resumed.is_new("a", T0)
    assert resumed.is_new("a", T0, "7")  # read once more: the upsert finds it unchanged


def test_cursor_round_trip_and_overlap_window() -> None:
    mark = Watermark(scope="s", overlap=timedelta(seconds=60))
    mark.record("old", T0)
    mark.record("new", T0 + timedelta(seconds=90))
    cursor = mark.to_cursor()
    assert cursor["since"] == "2026-03-02T09:01:30Z"
    assert cursor["window_start"] == "2026-03-02T09:00:30Z"
    assert cursor["seen"] == {"new": "2026-03-02T09:01:30Z"}  # "old" is below the window

    resumed = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(seconds=60))
    assert not resumed.is_new("old", T0)  # settled by the earlier run
    assert not resumed.is_new("new", T0 + timedelta(seconds=90))
    late = T0 + timedelta(seconds=45)  # committed late, inside the overlap window
    assert resumed.is_new("late", late)
    assert resumed.query_start() == T0 + timedelta(seconds=30)


def test_a_changed_scope_starts_over_and_garbage_is_refused() -> None:
    mark = Watermark(scope="s", overlap=timedelta(0))
    mark.record("a", T0)
    cursor = mark.to_cursor()
    assert Watermark.from_cursor(cursor, scope="other", overlap=timedelta(0)).since is None
    with pytest.raises(ConfigurationError, match="cursor"):
        Watermark.from_cursor({"version": 1}, scope="s", overlap=timedelta(0))
    with pytest.raises(ConfigurationError, match="cursor"):
        Watermark.from_cursor({**cursor, "version": 99}, scope="s", overlap=timedelta(0))


def test_the_stored_window_is_bounded() -> None:
    mark = Watermark(scope="s", overlap=timedelta(hours=3))
    for n in range(MAX_SEEN + 500):
        mark.record(f"id{n}", T0 + n * SECOND)
    cursor = mark.to_cursor()
    assert len(cursor["seen"]) == MAX_SEEN
    resumed = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(hours=3))
    assert not any(resumed.is_new(f"id{n}", T0 + n * SECOND) for n in range(MAX_SEEN + 500))


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(min_value=0, max_value=20)),
        min_size=1,
        max_size=60,
    ),
    st.integers(min_value=0, max_value=5),
)
def test_since_never_goes_back(events: list[tuple[str, int]], overlap: int) -> None:
    mark = Watermark(scope="s", overlap=timedelta(seconds=overlap))
    previous = None
    for record_id, second in events:
        moment = T0 + second * SECOND
        if mark.is_new(record_id, moment):
            mark.record(record_id, moment)
        cursor = mark.to_cursor()
        assert previous is None or cursor["since"] >= previous
        previous = cursor["since"]
        mark = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(seconds=overlap))


def test_wall_clock_literal_in_a_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moment = datetime(2026, 3, 2, 9, 3, 59, tzinfo=UTC)
    assert wall_clock_at_or_before(moment, berlin, timedelta(minutes=1)) == datetime(
        2026, 3, 2, 10, 3
    )
    ny = ZoneInfo("America/New_York")
    assert wall_clock_at_or_before(moment, ny, SECOND) == datetime(2026, 3, 2, 4, 3, 59)


def test_wall_clock_steps_back_over_an_ambiguous_hour() -> None:
    """2026-10-25 02:30 happens twice in Berlin; whichever the source picks, the literal
    must not start after the instant."""
    berlin = ZoneInfo("Europe/Berlin")
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    local = wall_clock_at_or_before(first_0230, berlin, timedelta(minutes=1))
    for fold in (0, 1):
        assert local.replace(tzinfo=berlin, fold=fold).astimezone(UTC) <= first_0230
    assert local < datetime(2026, 10, 25, 2, 30)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)))
def test_wall_clock_is_never_after_the_instant(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    for zone in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"):
        local = wall_clock_at_or_before(moment, ZoneInfo(zone), timedelta(minutes=1))
        for fold in (0, 1):
            reading = local.replace(tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)
            assert reading <= moment
            assert moment - reading < timedelta(hours=2, minutes=1)


# --- configuration and registry ---------------------------------------------------------------


def test_registry() -> None:
    assert sorted(CONNECTORS) == [
        "github",
        "gitlab",
        "jira",
        "jsm_ops",
        "pagerduty",
        "rt",
        "servicenow",
        "zendesk",
    ]
    assert connector_class("rt").label == "Request Tracker"
    with pytest.raises(ConfigurationError, match="unknown connector kind"):
        connector_class("freshservice")


@pytest.mark.parametrize(
    "bad",
    [
        {"base_url": "ftp://x"},
        {"base_url": ""},
        {"auth_type": "kerberos"},
        {"blocking_priority": 0},
        {"page_size": 0},
        {"status_map": {"9": "blocked"}},
        {"priority_map": {"P0": 0}},
    ],
)
def test_config_is_validated(bad: dict[str, object]) -> None:
    values: dict[str, object] = {"kind": "jira", "base_url": "https://x.example", "secret": "s"}
    with pytest.raises(ConfigurationError):
        ConnectorConfig(**{**values, **bad})  # type: ignore[arg-type]


def test_secret_is_not_in_the_repr() -> None:
    config = ConnectorConfig(kind="jira", base_url="https://x.example", secret="hunter2")
    assert "hunter2" not in repr(config)


def test_blocking_rule_of_design_section_2() -> None:
    def ticket(category: str, priority: int, blocker: bool) -> NormalizedTicket:
        return NormalizedTicket(
            external_id="1", key="K-1", url="u", title="t", status_raw="s",
            status_category=category, priority=priority, is_blocker=blocker,  # type: ignore[arg-type]
            assignee=None, assignment_group=None, reassignment_count=None, ci=None,
            components=(), labels=(), opened_at=T0, updated_at=T0, resolved_at=None, raw={},
        )  # fmt: skip

    assert ticket_is_blocking(ticket("open", 2, False), blocking_priority=2)
    assert not ticket_is_blocking(ticket("in_progress", 3, False), blocking_priority=2)
    assert ticket_is_blocking(ticket("in_progress", 4, True), blocking_priority=2)
    assert not ticket_is_blocking(ticket("resolved", 1, True), blocking_priority=2)


def test_a_record_the_mirror_cannot_hold_is_rejected_with_the_reason() -> None:
    from integrations.connectors import Rejected, ServiceNowConnector

    source = ServiceNowConnector(
        ConnectorConfig(kind="servicenow", base_url="https://x.example", secret="s", username="u")
    )
    record = {
        "sys_id": "a" * 201,
        "number": "INC1",
        "sys_updated_on": "2026-03-02 09:00:00",
        "opened_at": "2026-03-02 08:00:00",
        "state": "1",
        "priority": "3",
    }
    rejected = source.normalize(record)
    assert isinstance(rejected, Rejected) and "longer than 200" in rejected.reason
    counted = source.normalize({**record, "sys_id": "b", "reassignment_count": str(2**40)})
    assert isinstance(counted, Rejected) and "out of range" in counted.reason


def test_since_stops_at_the_ceiling_and_the_record_ahead_is_kept_and_known() -> None:
    mark = Watermark(scope="s", overlap=timedelta(seconds=60), ceiling=T0)
    mark.record("on-time", T0 - SECOND)
    mark.record("ahead", T0 + timedelta(hours=1))
    assert mark.since == T0
    assert mark.ahead == {"ahead": T0 + timedelta(hours=1)}
    cursor = mark.to_cursor()
    assert cursor["since"] == "2026-03-02T09:00:00Z"
    resumed = Watermark.from_cursor(cursor, scope="s", overlap=timedelta(seconds=60))
    # Re-read in the window until the clock passes it: the same version is no news.
    assert not resumed.is_new("ahead", T0 + timedelta(hours=1))
    assert resumed.is_new("ahead", T0 + timedelta(hours=1, seconds=1))
    assert resumed.is_new("later", T0 + SECOND)  # changes after the ceiling are still read
