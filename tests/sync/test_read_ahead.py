"""The sync reads the next page while it writes the current one (integrations/read_ahead.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from integrations.connectors import Page
from integrations.read_ahead import read_ahead


def _page(number: int, *, last: bool = False) -> Page:
    cursor = {"version": 1, "scope": "s", "since": None, "window_start": None, "seen": {}}
    return Page(tickets=(), rejected=(), cursor=cursor, is_last=last, received=number)  # type: ignore[arg-type]


def test_pages_come_in_order_and_stop_after_the_last() -> None:
    def pages() -> Iterator[Page]:
        yield _page(1)
        yield _page(2)
        yield _page(3, last=True)
        raise AssertionError("read past the last page")

    with read_ahead(pages()) as ahead:
        assert [page.received for page in ahead] == [1, 2, 3]


def test_an_error_of_the_source_reaches_the_caller_after_the_pages_before_it() -> None:
    def pages() -> Iterator[Page]:
        yield _page(1)
        raise ConnectionError("source went away")

    received = []
    with pytest.raises(ConnectionError, match="source went away"), read_ahead(pages()) as ahead:
        for page in ahead:
            received.append(page.received)
    assert received == [1]


def test_one_page_at_most_is_read_ahead_and_stopping_closes_the_source() -> None:
    read: list[int] = []
    closed = threading.Event()

    def pages() -> Iterator[Page]:
        try:
            for number in range(1, 100):
                read.append(number)
                yield _page(number)
        finally:
            closed.set()

    with read_ahead(pages()) as ahead:
        for page in ahead:
            if page.received == 2:
                break
    assert read == [1, 2, 3]  # the page after the one being written, no more
    assert closed.is_set()
