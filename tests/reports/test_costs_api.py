"""The `costs` API: who reads and writes, 400s that name the field, filters, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cataligent.models import AuditEntry
from reports.models import CostLine
from tests.factories import NodeFactory


@pytest.fixture
def nodes(people: Any) -> dict[str, Any]:
    return {
        "a": NodeFactory(slug="core-banking", team=people["team_a"]),
        "b": NodeFactory(slug="lending-app", team=people["team_b"]),
    }


def line(node: Any, month: str = "2026-03", amount: str = "100", category: str = "compute") -> Any:
    return CostLine.objects.create(
        node=node,
        month=dt.date.fromisoformat(month + "-01"),
        amount=Decimal(amount),
        currency="USD",
        category=category,
    )


@pytest.mark.parametrize("prefix", ["/api/v1/costs/", "/api/costs/"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("member", 403), ("lead_a", 200), ("leadership", 200), ("admin", 200)],
)
def test_who_reads_costs(client_as: Any, nodes: Any, prefix: str, role: str, status: int) -> None:
    line(nodes["a"])
    response = client_as(role).get(prefix)
    assert response.status_code == status
    if status == 200:
        assert response.json()["results"] == [
            {
                "id": CostLine.objects.get().pk,
                "node": "core-banking",
                "month": "2026-03",
                "amount": "100.00",
                "currency": "USD",
                "category": "compute",
            }
        ]


@pytest.mark.parametrize(
    ("role", "node", "status"),
    [
        ("admin", "lending-app", 201),
        ("lead_a", "core-banking", 201),
        ("lead_a", "lending-app", 403),  # another team's node
        ("leadership", "core-banking", 403),
        ("member", "core-banking", 403),
    ],
)
def test_who_writes_costs(client_as: Any, nodes: Any, role: str, node: str, status: int) -> None:
    payload = {"node": node, "month": "2026-04", "amount": "1250.50", "category": "application"}
    response = client_as(role).post("/api/v1/costs/", payload, format="json")
    assert response.status_code == status, response.content
    assert CostLine.objects.exists() == (status == 201)
    if status == 201:
        saved = CostLine.objects.get()
        assert (saved.month, saved.amount, saved.currency) == (
            dt.date(2026, 4, 1),
            Decimal("1250.50"),
            "USD",
        )
        assert AuditEntry.objects.filter(object_id=str(saved.pk), action="create").exists()


def test_a_lead_changes_and_deletes_only_their_teams_lines(client_as: Any, nodes: Any) -> None:
    own, other = line(nodes["a"]), line(nodes["b"])
    lead = client_as("lead_a")
    assert (
        lead.patch(f"/api/v1/costs/{own.pk}/", {"amount": "90"}, format="json").status_code == 200
    )
    assert (
        lead.patch(f"/api/v1/costs/{other.pk}/", {"amount": "1"}, format="json").status_code == 403
    )
    # Nor may a lead move their line onto another team's node.
    moved = lead.patch(
        f"/api/v1/costs/{own.pk}/", {"node": "lending-app", "month": "2026-07"}, format="json"
    )
    assert moved.status_code == 403
    assert lead.delete(f"/api/v1/costs/{other.pk}/").status_code == 403
    assert lead.delete(f"/api/v1/costs/{own.pk}/").status_code == 204
    assert list(CostLine.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"node": "no-such-node"}, "node"),
        ({"month": "2026-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "2026-03-01"}, "month"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"category": "x" * 101}, "category"),
    ],
)
def test_bad_input_names_the_field(client_as: Any, nodes: Any, change: Any, field: str) -> None:
    payload = {"node": "core-banking", "month": "2026-03", "amount": "10", **change}
    response = client_as("admin").post("/api/v1/costs/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not CostLine.objects.exists()


def test_a_second_line_for_the_same_node_month_and_category_is_refused(
    client_as: Any, nodes: Any
) -> None:
    line(nodes["a"])
    payload = {"node": "core-banking", "month": "2026-03", "amount": "5", "category": "compute"}
    response = client_as("admin").post("/api/v1/costs/", payload, format="json")
    assert response.status_code == 400
    assert "month" in response.json()


def test_filters_by_node_team_and_month_range(client_as: Any, nodes: Any) -> None:
    for month in ("2026-01", "2026-02", "2026-03"):
        line(nodes["a"], month)
        line(nodes["b"], month)
    api = client_as("leadership")

    def months(query: str) -> list[tuple[str, str]]:
        rows = api.get(f"/api/v1/costs/?{query}").json()["results"]
        return sorted((r["node"], r["month"]) for r in rows)

    assert months("node=lending-app&from=2026-02") == [
        ("lending-app", "2026-02"),
        ("lending-app", "2026-03"),
    ]
    assert months("team=team-a&to=2026-01") == [("core-banking", "2026-01")]
    assert months("month=2026-02") == [("core-banking", "2026-02"), ("lending-app", "2026-02")]
    bad = api.get("/api/v1/costs/?from=last-year")
    assert bad.status_code == 400 and "from" in bad.json()


def test_csv_export_is_the_file_import_reads(client_as: Any, nodes: Any) -> None:
    line(nodes["a"], "2026-01", "10.5")
    line(nodes["b"], "2026-02", "20", category="=HYPERLINK(1)")
    response = client_as("leadership").get("/api/v1/costs/?format=csv&from=2026-01")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["node", "month", "amount", "currency", "category"],
        ["core-banking", "2026-01", "10.50", "USD", "compute"],
        ["lending-app", "2026-02", "20.00", "USD", "'=HYPERLINK(1)"],
    ]
    assert client_as("member").get("/api/v1/costs/?format=csv").status_code == 403


def test_list_reads_a_fixed_number_of_queries(client_as: Any, nodes: Any) -> None:
    api = client_as("leadership")
    line(nodes["a"])
    api.get("/api/v1/costs/")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/costs/")
    for month in range(1, 13):
        line(nodes["a"], f"2025-{month:02d}")
        line(nodes["b"], f"2025-{month:02d}")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/costs/").json()["results"]) == 25
    assert len(many) == len(few)
