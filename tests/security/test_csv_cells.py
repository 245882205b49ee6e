"""The CSV injection guard shared by the web exports and export_graph, and its inverse."""

from __future__ import annotations

import pytest

from cataligent.csv_cells import quote_cell, unquote_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by hand: quoted again, so reading back is exact
        ("''", "'''"),
        ("'", "'"),
        ("O'Brien", "O'Brien"),
        ("", ""),
        ("core-db", "core-db"),
    ],
)
def test_quote_and_unquote_round_trip(value: str, written: str) -> None:
    assert quote_cell(value) == written
    assert unquote_cell(written) == value


def test_values_that_are_not_text_are_left_alone() -> None:
    assert quote_cell(-3) == -3
    assert quote_cell(None) is None
