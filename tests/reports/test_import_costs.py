"""`manage.py import_costs`: all or nothing, every bad row named, upserts, rates; export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from reports.models import CostLine
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db

HEADER = "node,month,amount,currency,category\n"


@pytest.fixture
def nodes() -> None:
    NodeFactory(slug="core-banking")
    NodeFactory(slug="lending-app")


def run(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / "costs.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_costs", str(path), *args, stdout=out)
    return out.getvalue()


def amounts() -> dict[tuple[str, str, str], Decimal]:
    return {
        (slug, f"{month:%Y-%m}", category): amount
        for slug, month, category, amount in CostLine.objects.values_list(
            "node__slug", "month", "category", "amount"
        )
    }


def test_imports_rows_and_says_what_it_did(tmp_path: Path, nodes: None) -> None:
    out = run(
        tmp_path,
        HEADER + "core-banking,2026-01,1000,USD,compute\n"
        'lending-app,2026-01,"2,500.75",,application\n',
    )
    assert amounts() == {
        ("core-banking", "2026-01", "compute"): Decimal("1000.00"),
        ("lending-app", "2026-01", "application"): Decimal("2500.75"),
    }
    assert "written 2/2" in out
    assert "Imported 2 row(s): 2 new, 0 updated, 0 unchanged" in out


def test_reimport_upserts_on_node_month_and_category(tmp_path: Path, nodes: None) -> None:
    run(tmp_path, HEADER + "core-banking,2026-01,1000,USD,compute\n")
    out = run(
        tmp_path,
        HEADER + "core-banking,2026-01,1200,USD,compute\n"
        "core-banking,2026-01,300,USD,storage\n"
        "core-banking,2026-02,1000,USD,compute\n",
    )
    assert "3 row(s): 2 new, 1 updated, 0 unchanged" in out
    assert amounts()[("core-banking", "2026-01", "compute")] == Decimal("1200.00")
    assert CostLine.objects.count() == 3
    again = run(tmp_path, HEADER + "core-banking,2026-01,1200,USD,compute\n")
    assert "0 new, 0 updated, 1 unchanged" in again


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path: Path, nodes: None) -> None:
    text = HEADER + (
        "core-banking,2026-01,100,USD,compute\n"  # row 2: fine
        "mainframe,2026-01,100,USD,compute\n"  # row 3
        "core-banking,Jan 2026,100,USD,compute\n"  # row 4
        "core-banking,2026-02,-5,USD,compute\n"  # row 5
        "core-banking,2026-03,lots,USD,compute\n"  # row 6
        "core-banking,2026-04,100,EUR,compute\n"  # row 7
        "core-banking,2026-01,100,USD,compute\n"  # row 8: repeats row 2
        "lending-app,2026-13,NaN,GBP,\n"  # row 9: three reasons
    )
    with pytest.raises(CommandError) as raised:
        run(tmp_path, text)
    message = str(raised.value)
    assert "Nothing imported: 7 bad row(s)" in message
    for expected in (
        "row 3: unknown node 'mainframe'",
        "row 4: month 'Jan 2026' is not YYYY-MM",
        "row 5: amount -5 is negative",
        "row 6: amount 'lots' is not a number",
        "row 7: currency EUR is not USD; give a rate, e.g. --rate EUR=1.08",
        "row 8: repeats row 2",
        "row 9: month '2026-13' is not YYYY-MM; amount 'NaN' is not a number; currency GBP",
    ):
        assert expected in message
    assert "row 2" not in message.replace("repeats row 2", "")
    assert not CostLine.objects.exists()


def test_a_rate_converts_another_currency(tmp_path: Path, nodes: None) -> None:
    run(tmp_path, HEADER + "core-banking,2026-01,1000,EUR,compute\n", "--rate", "EUR=1.08")
    line = CostLine.objects.get()
    assert (line.amount, line.currency) == (Decimal("1080.00"), "USD")


@pytest.mark.parametrize("rate", ["EUR", "EUR=0", "EUR=abc", "EURO=1.1"])
def test_a_bad_rate_is_refused(tmp_path: Path, nodes: None, rate: str) -> None:
    with pytest.raises(CommandError, match="--rate"):
        run(tmp_path, HEADER + "core-banking,2026-01,1,EUR,\n", "--rate", rate)


def test_a_header_without_the_needed_columns_is_refused(tmp_path: Path, nodes: None) -> None:
    with pytest.raises(CommandError, match="row 1: the header lacks amount"):
        run(tmp_path, "node,month,cost\ncore-banking,2026-01,1\n")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_costs", str(tmp_path / "nope.csv"))


def test_export_then_import_gives_the_same_lines(tmp_path: Path, nodes: None) -> None:
    run(tmp_path, HEADER + "core-banking,2026-01,10,USD,=cmd\nlending-app,2026-02,20,USD,\n")
    before = amounts()
    out = StringIO()
    call_command("export_costs", "--from", "2026-01", stdout=out)
    assert out.getvalue().splitlines()[1] == "core-banking,2026-01,10.00,USD,'=cmd"
    CostLine.objects.all().delete()
    (tmp_path / "again.csv").write_text(out.getvalue())
    call_command("import_costs", str(tmp_path / "again.csv"), stdout=StringIO())
    assert amounts() == before


def test_export_refuses_a_bad_month(nodes: Any) -> None:
    with pytest.raises(CommandError, match="--to 'soon'"):
        call_command("export_costs", "--to", "soon", stdout=StringIO())


def test_month_is_stored_as_its_first_day(tmp_path: Path, nodes: None) -> None:
    run(tmp_path, HEADER + "core-banking,2026-02,1,USD,\n")
    assert CostLine.objects.get().month == dt.date(2026, 2, 1)


def test_a_month_no_report_window_can_reach_is_refused(tmp_path: Path, nodes: None) -> None:
    with pytest.raises(CommandError) as raised:
        run(tmp_path, HEADER + "core-banking,9999-12,100,USD,compute\n")
    assert "row 2: month '9999-12' is not YYYY-MM" in str(raised.value)
    assert not CostLine.objects.exists()
