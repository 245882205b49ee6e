"""The generic surfaces every registered report gets: API (JSON, CSV, errors), pages, command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from dependencies.map.drawing import forget_map_cache
from reports import registry
from reports.registry import Chart, Column, Report, Table
from tests.reports.world import NOVEMBER, at, blocked, depends, node, objective, ticket

pytestmark = pytest.mark.django_db

SIGNED_IN = ["member", "lead_a", "lead_b", "leadership", "admin"]


@pytest.fixture(autouse=True)
def _fresh_results() -> Iterator[None]:
    forget_map_cache()
    yield
    forget_map_cache()


@pytest.fixture
def disconnect(people: Any) -> dict[str, Any]:
    """One capability that looked green while blocked, with a formula-looking name."""
    people["team_a"].assignment_groups = ["Lending Ops"]
    people["team_a"].save()
    service = node("core-api", team=people["team_b"])
    capability = node("loan-origination", kind="capability", team=people["team_a"])
    capability.name = '=HYPERLINK("https://evil.example")'
    capability.save()
    depends(capability, service)
    goal = objective(team=people["team_a"], needs=[capability])
    for day in (3, 4, 5):
        ticket(service, resolved=at(day), sla_breached=False, group="Facilities")
    blocked(capability, at(10), at(12))
    return {"service": service, "capability": capability, "objective": goal}


@pytest.fixture
def extra_report() -> Iterator[Report]:
    """A report registered by another module: it must appear on every surface unaided."""

    def build(window: Any) -> dict[str, Any]:
        return {
            "rows": [{"n": 1, "word": "one"}],
            "team": window.team.slug if window.team else None,
        }

    report = registry.register(
        Report(
            name="test-extra",
            title="Extra report",
            question="Does a new report appear everywhere?",
            build=build,
            tables=lambda r: [
                Table("rows", "Rows", [Column("n", "N", "int"), Column("word", "Word")], r["rows"])
            ],
            charts=lambda r: [
                Chart("words", "Words", "bar", ["one"], [{"label": "N", "data": [1]}])
            ],
        )
    )
    yield report
    registry.REPORTS.pop(report.name)


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/v1/", "/api/"])
def test_api_serves_the_essential_fields_with_the_window(
    prefix: str, client_as: Any, disconnect: dict[str, Any]
) -> None:
    response = client_as("member").get(f"{prefix}reports/green-red/", NOVEMBER)

    assert response.status_code == 200, response.content
    body = response.json()
    item = next(i for i in body["items"] if i["kind"] == "node")
    assert {
        "kind",
        "slug",
        "tickets",
        "resolved",
        "sla_met_pct",
        "blocked_hours",
        "value_lost",
        "disconnect",
    } <= set(item)
    assert item["slug"] == "loan-origination" and item["disconnect"] is True
    objective_item = next(i for i in body["items"] if i["kind"] == "objective")
    assert objective_item["key"] == disconnect["objective"].key
    row = body["wrong_department"][0]
    assert {"ticket", "node", "team", "resolving_group"} <= set(row)
    assert (row["node"], row["team"], row["resolving_group"]) == (
        "core-api",
        "team-b",
        "Facilities",
    )
    assert body["window"] == body["window"] | {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "team": None,
    }


def test_api_outcomes_and_the_team_filter(client_as: Any, disconnect: dict[str, Any]) -> None:
    body = (
        client_as("member").get("/api/v1/reports/outcomes/", {**NOVEMBER, "team": "team-b"}).json()
    )

    assert [t["team"] for t in body["teams"]] == ["team-b"]
    assert body["window"]["team"] == "team-b"


def test_api_csv_is_the_main_table_with_safe_cells(
    client_as: Any, disconnect: dict[str, Any]
) -> None:
    response = client_as("member").get("/api/v1/reports/green-red/", {**NOVEMBER, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "green-red-items-2026-11-01-2026-11-30.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    capability = next(r for r in rows if r["kind"] == "capability")
    assert capability["item"] == "'" + '=HYPERLINK("https://evil.example")'  # not a formula
    assert (capability["sla_met_pct"], capability["blocked_hours"], capability["disconnect"]) == (
        "100.0",
        "48.0",
        "true",
    )


def test_api_csv_of_another_table(client_as: Any, disconnect: dict[str, Any]) -> None:
    response = client_as("member").get(
        "/api/v1/reports/green-red/", {**NOVEMBER, "format": "csv", "table": "wrong_department"}
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["node"], r["resolving_group"]) for r in rows] == [("core-api", "Facilities")] * 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"period": "1999-Q9"}, "period"),
        ({"team": "no-such-team"}, "team"),
        ({"format": "xlsx"}, "format"),
        ({"format": "csv", "table": "nope"}, "table"),
        # Dates no day arithmetic or daily series can hold: a 400, never an overflow's 500.
        ({"from": "2026-11-01", "to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": "1900-01-01"}, "from"),  # ends now: over ten years
        ({"from": "2999-01-01"}, "from"),  # starts after it ends (now)
    ],
)
def test_api_refuses_a_bad_filter_naming_the_field(
    query: dict[str, str], field: str, client_as: Any
) -> None:
    response = client_as("member").get("/api/v1/reports/green-red/", query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()


def test_api_unknown_report_is_404(client_as: Any) -> None:
    response = client_as("member").get("/api/v1/reports/no-such-report/")

    assert response.status_code == 404
    assert "green-red" in response.json()["detail"]


def test_api_refuses_anonymous_requests(client_as: Any) -> None:
    assert client_as("anonymous").get("/api/v1/reports/green-red/").status_code in (401, 403)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_api_every_signed_in_role_reads_reports(role: str, client_as: Any) -> None:
    assert client_as(role).get("/api/v1/reports/outcomes/").status_code == 200


def test_api_serves_a_newly_registered_report(client_as: Any, extra_report: Report) -> None:
    body = client_as("member").get("/api/v1/reports/test-extra/", {"team": "team-a"}).json()
    assert body["rows"] == [{"n": 1, "word": "one"}] and body["team"] == "team-a"


def test_api_reads_are_bounded_whatever_the_rows(client_as: Any, people: Any) -> None:
    def count() -> int:
        forget_map_cache()
        with CaptureQueriesContext(connection) as queries:
            assert (
                client_as("member").get("/api/v1/reports/green-red/", NOVEMBER).status_code == 200
            )
        return len(queries)

    service = node("svc-0", team=people["team_b"])
    capability = node("cap-0", kind="capability", team=people["team_a"])
    depends(capability, service)
    objective(team=people["team_a"], needs=[capability])
    ticket(service, resolved=at(3), sla_breached=False)
    few = count()
    for i in range(1, 15):
        s = node(f"svc-{i}", team=people["team_b"])
        c = node(f"cap-{i}", kind="capability", team=people["team_a"])
        depends(c, s)
        objective(team=people["team_a"], needs=[c])
        ticket(s, resolved=at(3), sla_breached=False, group="X", reassignments=3)
        blocked(c, at(4), at(6))
    assert count() == few


# --- Pages ---------------------------------------------------------------------------------


def test_nav_has_a_reports_entry_for_every_signed_in_user(people: Any) -> None:
    page = _signed_in(people["member"]).get(reverse("objective-list")).content.decode()
    assert f'href="{reverse("reports:index")}"' in page


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_signed_in_role_reads_the_pages(role: str, people: Any, extra_report: Report) -> None:
    client = _signed_in(people[role])

    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    for report in registry.REPORTS.values():
        assert reverse("reports:detail", args=[report.name]) in index.content.decode()
        assert escape(report.question) in index.content.decode()
    for name in registry.REPORTS:
        assert client.get(reverse("reports:detail", args=[name])).status_code == 200


def test_anonymous_gets_the_login_page() -> None:
    response = Client().get(reverse("reports:detail", args=["green-red"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_has_charts_tables_and_csv_links(people: Any, disconnect: dict[str, Any]) -> None:
    response = _signed_in(people["member"]).get(
        reverse("reports:detail", args=["green-red"]), NOVEMBER
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert '<canvas data-chart="chart-sla-vs-blocked"' in page
    assert 'id="chart-sla-vs-blocked" type="application/json"' in page
    assert "vendor/chart.umd.min.js" in page and "js/reports.js" in page
    assert "<script>" not in page  # the CSP runs no inline script
    for table in ("items", "resolved_but_blocked", "wrong_department"):
        assert f"format=csv&amp;table={table}" in page
    assert page.count("<caption") == 2 + 1  # each table with rows, and the chart's numbers
    assert (
        "No ticket was resolved while a node it is linked to stayed blocked." in page
    )  # empty state
    chart = json.loads(
        page.split('id="chart-sla-vs-blocked" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["type"] == "bar" and chart["data"]["datasets"][0]["highlight"][0] is True


def test_a_bad_filter_is_shown_next_to_its_field(people: Any) -> None:
    response = _signed_in(people["member"]).get(
        reverse("reports:detail", args=["green-red"]), {"from": "soon", "team": "nobody"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-from"' in page and "is not a date" in page
    assert 'id="error-team"' in page and 'aria-invalid="true"' in page


def test_an_unknown_report_page_is_404(people: Any) -> None:
    assert _signed_in(people["member"]).get("/reports/nope/").status_code == 404


def test_a_newly_registered_report_has_its_page(people: Any, extra_report: Report) -> None:
    page = (
        _signed_in(people["member"])
        .get(reverse("reports:detail", args=["test-extra"]))
        .content.decode()
    )
    assert "Does a new report appear everywhere?" in page
    assert 'data-chart="chart-words"' in page and "<caption" in page


def test_tables_are_paginated(people: Any) -> None:
    for i in range(55):
        c = node(f"cap-{i:02d}", kind="capability", team=people["team_a"])
        blocked(c, at(3), at(4))
    client = _signed_in(people["member"])

    first = client.get(reverse("reports:detail", args=["green-red"]), NOVEMBER).content.decode()
    second = client.get(
        reverse("reports:detail", args=["green-red"]), {**NOVEMBER, "items-page": "2"}
    ).content.decode()

    assert "Page 1 of 2 · 55 in all" in first and "items-page=2" in first
    assert "Page 2 of 2" in second


# --- Where leadership meets it -------------------------------------------------------------


def _green_in_the_last_days(disconnect: dict[str, Any]) -> None:
    """The default window is the last 30 days: blocked all along, tickets met SLA lately."""
    disconnect["capability"].state = "blocked"
    disconnect["capability"].save()
    for days_ago in (1, 2):
        resolved = timezone.now() - dt.timedelta(days=days_ago)
        ticket(disconnect["service"], resolved=resolved, opened=resolved, sla_breached=False)


def test_the_objective_and_capability_rows_beside_the_verdict(
    people: Any, disconnect: dict[str, Any]
) -> None:
    _green_in_the_last_days(disconnect)
    client = _signed_in(people["member"])
    slug = disconnect["capability"].slug

    detail = client.get(
        reverse("objective-detail", args=[disconnect["objective"].key])
    ).content.decode()
    panel = client.get(reverse("map-node-panel", args=[slug])).content.decode()
    row_url = reverse("reports:green-red-item", args=["node", slug])
    assert (
        reverse("reports:green-red-item", args=["objective", disconnect["objective"].key]) in detail
    )
    assert row_url in panel

    row = client.get(row_url).content.decode()
    assert "Green-red disconnect" in row and "% " in row
    other = client.get(
        reverse("reports:green-red-item", args=["node", "core-api"])
    ).content.decode()
    assert "No supporting ticket and no blocked hour" in other
    assert client.get("/reports/green-red/items/edge/x/").status_code == 404


def test_the_dashboard_card_shows_the_disconnects(people: Any, disconnect: dict[str, Any]) -> None:
    _green_in_the_last_days(disconnect)
    client = _signed_in(people["leadership"])

    assert (
        reverse("reports:green-red-disconnects")
        in client.get(reverse("dashboard")).content.decode()
    )
    card = client.get(reverse("reports:green-red-disconnects")).content.decode()
    assert (
        "<strong>1</strong> item looked green" in card
    )  # the capability (the objective is not blocked)
    assert reverse("node-detail", args=["loan-origination"]) in card
    assert reverse("reports:detail", args=["green-red"]) in card


def test_the_fragments_reads_are_bounded(people: Any) -> None:
    client = _signed_in(people["member"])

    def count(url: str) -> int:
        forget_map_cache()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = [
        reverse("reports:green-red-disconnects"),
        reverse("reports:green-red-item", args=["node", "cap-0"]),
    ]
    few = [count(u) for u in urls]
    for i in range(12):
        c = node(f"cap-{i}", kind="capability", team=people["team_a"], state="blocked")
        ticket(c, resolved=at(3), sla_breached=False)
    assert [count(u) for u in urls] == few


# --- Command -------------------------------------------------------------------------------


def test_command_prints_a_readable_table(disconnect: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("report", "green-red", "--from", "2026-11-01", "--to", "2026-11-30", stdout=out)

    text = out.getvalue()
    assert "Green-red disconnects" in text and "2026-11-01 to 2026-11-30" in text
    assert "100 %" in text and "48 h" in text and "Went to the wrong department" in text


def test_command_json_is_the_api_json(client_as: Any, disconnect: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command(
        "report", "green-red", "--json", "--from", "2026-11-01", "--to", "2026-11-30", stdout=out
    )

    api = client_as("member").get("/api/v1/reports/green-red/", NOVEMBER).json()
    assert json.loads(out.getvalue()) == api


def test_command_csv_of_a_table(disconnect: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("report", "outcomes", "--csv", "--team", "team-b", "--table", "teams", stdout=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["team"] for r in rows] == ["team-b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "No report is named 'nope'"),
        (["green-red", "--from", "tomorrow"], "--from:"),
        (["green-red", "--team", "ghosts"], "--team:"),
        (["green-red", "--period", "1999-Q9"], "--period:"),
        (["green-red", "--csv", "--table", "nope"], "--table:"),
    ],
)
def test_command_refuses_bad_input(args: list[str], message: str, people: Any) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, stdout=io.StringIO())


def test_command_runs_a_newly_registered_report(extra_report: Report) -> None:
    out = io.StringIO()
    call_command("report", "test-extra", stdout=out)
    assert "Extra report" in out.getvalue() and "one" in out.getvalue()
