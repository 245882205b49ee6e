"""The map's reads shared by the web processes (dependencies/map/result_cache.py): each
`ResultCache` below stands for one gunicorn process; the Django cache is the real one
(Redis when REDIS_URL is set, else the database table)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dependencies.map.result_cache import ResultCache

pytestmark = pytest.mark.django_db(transaction=True)

KEY = ("graph", 7, 1, "2026-12-07T10:00:00+00:00", 42, "affected")


def test_a_read_made_in_one_process_is_not_made_again_in_another() -> None:
    made: list[str] = []

    def make(who: str) -> Any:
        made.append(who)
        return {"built by": who}

    first, second = ResultCache(), ResultCache()
    assert first.get_or_make(KEY, lambda: make("first"), shared=True) == {"built by": "first"}
    assert second.get_or_make(KEY, lambda: make("second"), shared=True) == {"built by": "first"}
    assert made == ["first"]
    # Not shared: each process makes its own.
    assert second.get_or_make((*KEY, "own"), lambda: make("second")) == {"built by": "second"}
    assert made == ["first", "second"]


def test_a_process_waits_for_the_one_building_rather_than_building_too() -> None:
    made: list[str] = []
    building, release = threading.Event(), threading.Event()

    def slow() -> str:
        made.append("first")
        building.set()
        release.wait(10)
        return "the map"

    first, second = ResultCache(), ResultCache()
    results: list[str] = []
    worker = threading.Thread(
        target=lambda: results.append(first.get_or_make(KEY, slow, shared=True))
    )
    worker.start()
    assert building.wait(10)
    waiter = threading.Thread(
        target=lambda: results.append(
            second.get_or_make(KEY, lambda: made.append("second") or "again", shared=True)
        )
    )
    waiter.start()
    release.set()
    worker.join(10)
    waiter.join(10)
    assert results == ["the map", "the map"] and made == ["first"]


def test_forgetting_starts_afresh_in_that_process() -> None:
    cache = ResultCache()
    assert cache.get_or_make(KEY, lambda: "old", shared=True) == "old"
    cache.clear()
    assert cache.get_or_make(KEY, lambda: "new", shared=True) == "new"


def test_a_read_that_fails_fails_once_and_frees_the_key(caplog: Any) -> None:
    """The read's own error is the caller's: not taken for the cache being down (which would
    log that and read a second time), and the next process may build the key at once."""
    calls: list[int] = []

    def broken() -> Any:
        calls.append(1)
        raise ValueError("the database went away")

    with pytest.raises(ValueError, match="went away"):
        ResultCache().get_or_make((*KEY, "fails"), broken, shared=True)
    assert calls == [1]
    assert "shared map cache unavailable" not in caplog.text
    assert ResultCache().get_or_make((*KEY, "fails"), lambda: "built", shared=True) == "built"
