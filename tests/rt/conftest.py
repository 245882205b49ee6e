"""A real Request Tracker 5 for the session, or a skip that says how to get one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rt.rt_server import RequestTrackerInstance, missing_reason


@pytest.fixture(scope="session")
def request_tracker() -> Iterator[tuple[str, str]]:
    """(base URL, auth token) of a fresh RT started for this session; stopped at the end."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    rt = RequestTrackerInstance.start()
    try:
        yield rt.base_url, rt.token
    finally:
        rt.stop()


@pytest.fixture(scope="session")
def request_tracker_in_sydney() -> Iterator[RequestTrackerInstance]:
    """A second RT whose server zone is Australia/Sydney (root has no zone of its own, as in
    a default install): +11:00 in the southern summer, +10:00 in winter."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    rt = RequestTrackerInstance.start(time_zone="Australia/Sydney")
    try:
        yield rt
    finally:
        rt.stop()
