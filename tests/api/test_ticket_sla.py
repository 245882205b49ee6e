"""A ticket's SLA result, due date and reopen count: read-only in the API, filterable, and an
SLA column in the ticket tables of the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.factories import NodeFactory, TicketFactory, link_ticket

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)


def test_tickets_carry_the_sla_fields_read_only_and_filter_by_them(client_as: Any) -> None:
    TicketFactory(key="INC1", sla_breached=True, due_at=DUE, reopen_count=2)
    TicketFactory(key="INC2", sla_breached=False)
    TicketFactory(key="INC3", sla_breached=None)
    member = client_as("member")
    rows = {t["key"]: t for t in member.get("/api/tickets/").json()["results"]}
    assert rows["INC1"]["sla_breached"] is True and rows["INC1"]["reopen_count"] == 2
    assert rows["INC1"]["due_at"].startswith("2026-11-26T10:00:00")
    assert rows["INC2"]["sla_breached"] is False and rows["INC3"]["sla_breached"] is None

    def keys(query: str) -> list[str]:
        response = member.get(f"/api/v1/tickets/?sla_breached={query}")
        assert response.status_code == 200, response.json()
        return sorted(t["key"] for t in response.json()["results"])

    assert keys("true") == ["INC1"]
    assert keys("false") == ["INC2"]
    assert keys("unknown") == ["INC3"]
    bad = member.get("/api/tickets/?sla_breached=maybe")
    assert bad.status_code == 400 and "sla_breached" in str(bad.json())


def test_the_ticket_table_has_an_sla_column(people: dict[str, Any]) -> None:
    node = NodeFactory(slug="api")
    link_ticket(node, key="INC1", sla_breached=True, due_at=DUE, is_blocking=False)
    link_ticket(node, key="INC2", sla_breached=False, is_blocking=False)
    link_ticket(node, key="INC3", sla_breached=None, is_blocking=False)
    client = Client()
    client.force_login(people["leadership"])
    page = client.get("/map/nodes/api/", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<th scope="col">SLA</th>' in html
    rows = {key: html.split(key, 1)[1].split("</tr>", 1)[0] for key in ("INC1", "INC2", "INC3")}
    assert "Breached" in rows["INC1"] and "2026-11-26 10:00" in rows["INC1"]
    assert "Met" in rows["INC2"] and "Breached" not in rows["INC2"]
    assert "—" in rows["INC3"] and "Met" not in rows["INC3"]
