"""The checks every connector must pass, run against each tool's fake (real HTTP)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, timedelta
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.connectors import (
    STATUS_CATEGORIES,
    AuthenticationError,
    Connector,
    NormalizedTicket,
    Page,
    Rejected,
    ServerError,
    UnsafeDestinationError,
)
from integrations.connectors.timestamps import parse_cursor_time

from .conftest import HARNESSES, Harness
from .fakes import Reply


def ids(pages: list[Page]) -> list[str]:
    return [t.external_id for page in pages for t in page.tickets]


def run(harness: Harness, start_fake: Any, make_connector: Any, scenario: str, **config: Any):
    fake = start_fake(harness.fake_class, harness.dataset(scenario))
    connector: Connector = make_connector(harness.config(fake.base_url, **config))
    return fake, connector


def assert_well_formed(ticket: NormalizedTicket, base_url: str) -> None:
    assert ticket.external_id and ticket.key
    assert ticket.url.startswith(base_url)
    assert ticket.status_category in STATUS_CATEGORIES
    assert 1 <= ticket.priority <= 5
    for moment in (ticket.opened_at, ticket.updated_at, ticket.resolved_at):
        if moment is not None:
            assert moment.utcoffset() == timedelta(0) and moment.tzinfo is UTC
    assert isinstance(ticket.components, tuple) and isinstance(ticket.labels, tuple)
    assert isinstance(ticket.raw, dict)


def test_normalizes_the_recorded_real_records(harness: Harness, make_connector: Any) -> None:
    connector = make_connector(harness.config("https://itsm.example.com"))
    for raw in harness.recorded_page:
        ticket = connector.normalize(raw)
        assert isinstance(ticket, NormalizedTicket), ticket
        assert_well_formed(ticket, "https://itsm.example.com")
        assert ticket.external_id == harness.id_of(raw)


def test_pages_to_the_end_losing_and_repeating_nothing(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    expected = sorted(harness.id_of(r) for r in harness.dataset(harness_scenario(harness)))

    pages = list(connector.fetch_pages(None))

    got = ids(pages)
    assert sorted(got) == expected
    assert len(got) == len(set(got))
    assert len(pages) > 3  # page size 3, ties wider than a page
    assert pages[-1].is_last and not any(p.is_last for p in pages[:-1])
    for page in pages:
        for ticket in page.tickets:
            assert_well_formed(ticket, fake.base_url)


def test_cursor_is_monotonic_and_json(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    _, connector = run(harness, start_fake, make_connector, harness_scenario(harness))

    pages = list(connector.fetch_pages(None))

    sinces = [p.cursor["since"] for p in pages if p.cursor["since"] is not None]
    assert sinces == sorted(sinces)  # ISO-8601 UTC strings sort like the instants
    for page in pages:
        assert json.loads(json.dumps(page.cursor)) == page.cursor


def test_resuming_from_any_page_loses_and_repeats_nothing(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    """A run killed after committing page k resumes from that page's stored cursor."""
    _, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    expected = sorted(harness.id_of(r) for r in harness.dataset(harness_scenario(harness)))
    full = list(connector.fetch_pages(None))

    for k, page in enumerate(full):
        stored = json.loads(json.dumps(page.cursor))
        before = ids(full[: k + 1])
        after = ids(list(connector.fetch_pages(stored)))
        assert not set(before) & set(after), f"duplicated after page {k}"
        assert sorted(before + after) == expected, f"lost after page {k}"


def test_next_run_returns_only_what_changed(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    cursor = list(connector.fetch_pages(None))[-1].cursor

    quiet = list(connector.fetch_pages(cursor))
    assert ids(quiet) == [] and quiet[-1].is_last
    assert quiet[-1].cursor["since"] == cursor["since"]

    changed = fake_records(fake)[4]
    harness.bump(changed)
    after = list(connector.fetch_pages(cursor))
    assert ids(after) == [harness.id_of(changed)]
    assert after[-1].cursor["since"] > cursor["since"]


def test_a_record_stamped_ahead_of_the_source_clock_is_kept_and_the_cursor_stays_behind(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    """The cursor never passes the source's own clock (its Date header): a record stamped
    ahead would otherwise hide every change made until then from the next runs."""
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    cursor = list(connector.fetch_pages(None))[-1].cursor
    changed = fake_records(fake)[4]
    harness.bump(changed)
    stamped = connector.normalize(copy.deepcopy(changed))
    assert isinstance(stamped, NormalizedTicket)
    # The source's clock: past every other record, well before the bumped one.
    previous = parse_cursor_time(cursor["since"])
    source_now = previous + (stamped.updated_at - previous) / 2
    assert stamped.updated_at - source_now > timedelta(minutes=10)

    with time_machine.travel(source_now, tick=True):
        after = list(connector.fetch_pages(cursor))

    assert ids(after) == [harness.id_of(changed)]  # kept
    since = parse_cursor_time(after[-1].cursor["since"])
    assert since <= source_now + timedelta(seconds=5)
    warnings = [warning for page in after for warning in page.warnings]
    assert len(warnings) == 1 and harness.id_of(changed) in warnings[0]
    # Re-read in the window next time, and known: neither news nor a warning again.
    with time_machine.travel(source_now + timedelta(minutes=1), tick=True):
        again = list(connector.fetch_pages(after[-1].cursor))
    assert ids(again) == [] and not [w for page in again for w in page.warnings]


def test_401_is_a_permanent_error_and_not_retried(
    harness: Harness, start_fake: Any, make_connector: Any, sleeps: Any
) -> None:
    fake, connector = run(
        harness, start_fake, make_connector, harness_scenario(harness), secret="wrong"
    )
    with pytest.raises(AuthenticationError) as caught:
        list(connector.fetch_pages(None))
    assert caught.value.permanent and caught.value.status_code == 401
    assert len(fake.requests) == 1 and sleeps.waits == []
    assert "wrong" not in str(caught.value)


def test_429_waits_for_retry_after_then_succeeds(
    harness: Harness, start_fake: Any, make_connector: Any, sleeps: Any
) -> None:
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    fake.inject(harness.rate_limited)

    pages = list(connector.fetch_pages(None))

    assert sleeps.waits == [7.0]
    assert len(ids(pages)) == len(harness.dataset(harness_scenario(harness)))


def test_5xx_is_retried_with_backoff_then_succeeds(
    harness: Harness, start_fake: Any, make_connector: Any, sleeps: Any
) -> None:
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    fake.inject(Reply(503, {"error": "maintenance"}), Reply(500, "Internal Server Error"))

    pages = list(connector.fetch_pages(None))

    assert len(sleeps.waits) == 2 and all(0 < w <= 30 for w in sleeps.waits)
    assert len(ids(pages)) == len(harness.dataset(harness_scenario(harness)))


def test_5xx_that_persists_is_a_transient_error(
    harness: Harness, start_fake: Any, make_connector: Any, sleeps: Any
) -> None:
    fake, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    fake.inject(*[Reply(502, "Bad Gateway")] * 4)

    with pytest.raises(ServerError) as caught:
        list(connector.fetch_pages(None))
    assert not caught.value.permanent
    assert len(sleeps.waits) == 3  # 4 attempts


def test_garbled_records_are_rejected_and_the_rest_lands(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    _, connector = run(harness, start_fake, make_connector, garbled(harness), page_size=50)

    pages = list(connector.fetch_pages(None))

    assert tuple(ids(pages)) == harness.garbled_good_ids
    rejected = [r for p in pages for r in p.rejected]
    assert len(rejected) == harness.garbled_rejected
    for item in rejected:
        assert isinstance(item, Rejected) and len(item.reason) > 5
    assert any(r.external_id for r in rejected)  # the id is kept where it could be read


def test_test_connection(harness: Harness, start_fake: Any, make_connector: Any) -> None:
    _, connector = run(harness, start_fake, make_connector, harness_scenario(harness))
    result = connector.test_connection()
    assert result.startswith("Connected to") and len(result) < 600

    _, refused = run(harness, start_fake, make_connector, harness_scenario(harness), secret="no")
    with pytest.raises(AuthenticationError):
        refused.test_connection()


def test_loopback_is_refused_unless_allowed(
    harness: Harness, start_fake: Any, make_connector: Any
) -> None:
    fake, connector = run(
        harness, start_fake, make_connector, harness_scenario(harness), allow_private_networks=False
    )
    with pytest.raises(UnsafeDestinationError) as caught:
        list(connector.fetch_pages(None))
    assert caught.value.permanent
    assert fake.requests == []
    with pytest.raises(UnsafeDestinationError):
        connector.test_connection()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("tool", sorted(HARNESSES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=JSON, field_index=st.integers(min_value=0, max_value=200))
def test_normalize_never_raises(tool: str, garbage: Any, field_index: int) -> None:
    """Any JSON, or a real record with one field replaced by any JSON: a result, never a crash."""
    harness = HARNESSES[tool]
    connector = harness.fake_class.__name__ and _offline_connector(harness)
    assert isinstance(connector.normalize(garbage), NormalizedTicket | Rejected)
    record = json.loads(json.dumps(harness.recorded_page[0]))
    target = record["fields"] if tool == "jira" else record
    keys = sorted(target)
    target[keys[field_index % len(keys)]] = garbage
    assert isinstance(connector.normalize(record), NormalizedTicket | Rejected)


# The record's updated time as each tool writes it, at the ends of what a datetime holds:
# in UTC the first is past year 9999, the second still in it (and as far from today).
OUT_OF_RANGE = {
    "servicenow": [("sys_updated_on", "9999-12-31 23:59:59"), ("opened_at", "0001-01-01 00:00:00")],
    "jira": [
        ("updated", "9999-12-31T23:59:59.000-1400"),
        ("updated", "9999-12-31T23:59:59.000+0000"),
        ("created", "0001-01-01T00:00:00.000+1400"),
    ],
    "rt": [
        ("LastUpdated", "9999-12-31T23:59:59-14:00"),
        ("LastUpdated", "9999-12-31T23:59:59Z"),
        ("Resolved", "0001-01-01T00:00:00Z"),
    ],
}


@pytest.mark.parametrize(
    ("tool", "field", "value"),
    [(tool, field, value) for tool, cases in OUT_OF_RANGE.items() for field, value in cases],
)
def test_a_time_beyond_what_can_be_stored_is_rejected_with_the_reason(
    tool: str, field: str, value: str
) -> None:
    """Not an OverflowError: a Rejected (quarantined by the sync) that says what is wrong,
    and no time for the cursor to move to."""
    connector = _offline_connector(HARNESSES[tool])
    record = json.loads(json.dumps(HARNESSES[tool].recorded_page[0]))
    (record["fields"] if tool == "jira" else record)[field] = value
    result = connector.normalize(record)
    assert isinstance(result, Rejected), result
    assert "outside the years 1900-8999" in result.reason, result.reason
    assert value[:4] in result.reason  # the year as sent, or as read in UTC
    assert result.updated_at is None or result.updated_at.year < 9000


_OFFLINE: dict[str, Connector] = {}


def _offline_connector(harness: Harness) -> Connector:
    from integrations.connectors import connector_for

    if harness.tool not in _OFFLINE:
        _OFFLINE[harness.tool] = connector_for(harness.config("https://itsm.example.com"))
    return _OFFLINE[harness.tool]


def harness_scenario(harness: Harness) -> str:
    return {
        "servicenow": "incidents_equal_timestamps",
        "jira": "issues_equal_timestamps",
        "rt": "tickets_equal_timestamps",
    }[harness.tool]


def garbled(harness: Harness) -> str:
    return {"servicenow": "garbled_records", "jira": "garbled_issues", "rt": "garbled_tickets"}[
        harness.tool
    ]


def fake_records(fake: Any) -> list[dict[str, Any]]:
    if hasattr(fake, "tables"):
        return fake.tables["incident"]
    if hasattr(fake, "issues"):
        return fake.issues
    return fake.tickets
