"""The dashboard's alignment tile (rendered through the reports' template tag, so the
dashboard's app, below the reports in the layers, imports nothing of them)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.reports.conftest import Org

pytestmark = pytest.mark.django_db


def _dashboard(org: Org) -> str:
    client = Client()
    client.force_login(org.people["leadership"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_tile_shows_the_share_and_links_to_the_report(org: Org) -> None:
    now = timezone.now()
    org.ticket(linked=(org.ledger,), updated_at=now)  # supports OBJ-1 through two edges
    org.ticket(linked=(org.island,), updated_at=now)
    org.ticket(updated_at=now)
    body = _dashboard(org)
    assert "Work aligned to objectives" in body
    assert "33.3 %" in body and "1 of 3 tickets active in the last 30 days" in body
    assert 'href="/reports/alignment/"' in body


def test_no_activity_is_a_dash_not_zero(org: Org) -> None:
    body = _dashboard(org)
    tile = body[body.index("Work aligned to objectives") :][:400]
    assert "—" in tile and "no ticket activity in the last 30 days" in tile
