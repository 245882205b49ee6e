"""Timestamps as the database drivers give them, read as aware UTC moments (the loader's
blocked-since). SQLite gives naive datetimes for declared timestamp columns: taken as local
time when written back, they moved blocked-since by TIME_ZONE's offset."""

from __future__ import annotations

import datetime as dt

from dependencies.recompute.stored import moment

UTC = dt.UTC


def test_every_form_of_a_moment_is_read_as_aware_utc() -> None:
    aware = dt.datetime(2026, 12, 7, 21, 26, 11, 426068, tzinfo=UTC)
    assert moment(None) is None
    assert moment(aware) == aware
    assert moment(aware.replace(tzinfo=None)) == aware  # SQLite's converter
    assert moment("2026-12-07 21:26:11.426068") == aware  # SQLite's text
    assert moment("2026-12-07 22:26:11.426068+01:00") == aware  # PostgreSQL's text
    assert moment(aware.replace(tzinfo=None)).tzinfo is not None
