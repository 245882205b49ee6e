"""Bottlenecks, the dashboard, what-if and single points of failure."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from dependencies.models import Node
from dependencies.recompute.runner import impact_recompute
from tests.web.map.support import client_for

pytestmark = pytest.mark.django_db


def test_bottlenecks(people: dict[str, Any], lending: Any) -> None:
    client = client_for(people["leadership"])
    body = client.get("/bottlenecks/").content.decode()
    assert "Core banking ↔ lending app API integration" in body
    assert "⚑ no owner" in body and "no escalation path" in body
    assert "OBJ-1" in body and "Mobile loan origination" in body
    assert "1,000" in body
    assert "No bottleneck matches" in client.get("/bottlenecks/?team=team-b").content.decode()

    exported = client.get("/bottlenecks/?format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["root_cause"] == "api"
    assert rows[0]["owner"] == "NO OWNER"
    assert rows[0]["objectives_blocked"] == "OBJ-1"
    assert rows[0]["value_at_risk_per_week"] == "1000.00"


def test_dashboard(people: dict[str, Any], lending: Any) -> None:
    body = client_for(people["leadership"]).get("/dashboard/").content.decode()
    assert "Value at risk now" in body and "$1,000" in body
    assert "Open escalations" in body  # counted where recorded, "not tracked yet" elsewhere
    assert "No ITSM connector is configured yet" not in body  # the ticket's connector exists
    assert "never synced" in body
    assert "Core banking ↔ lending app API integration" in body  # blocked longest
    # OBJ-1 has never had a status update: the page must not claim every objective has one.
    assert "Every objective has a status update within its cadence" not in body
    assert "1 objective has had no status update yet" in body


def test_dashboard_lists_overdue_updates_by_the_objectives_rule(
    people: dict[str, Any], lending: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from objectives.models import Objective
    from objectives.services import status_update_create

    objective = Objective.objects.get(key="OBJ-1")
    Objective.objects.filter(pk=objective.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    body = client_for(people["leadership"]).get("/dashboard/").content.decode()
    assert "OBJ-1" in body.split("Status updates overdue</h2>")[1]
    status_update_create(
        objective=objective, actor=people["lead_a"], rag="red", summary="Blocked on the API"
    )
    body = client_for(people["leadership"]).get("/dashboard/").content.decode()
    assert "Every objective has a status update within its cadence" in body


def test_whatif_page(people: dict[str, Any], lending: Any) -> None:
    client = client_for(people["member"])
    fixed = client.get("/whatif/?unblock=api").content.decode()
    assert "OBJ-1" in fixed and "-$1,000" in fixed
    failed = client.get("/whatif/?block=ledger", HTTP_HX_REQUEST="true").content.decode()
    assert "No objective would change state" in failed  # already blocked
    assert "No such node: ghost." in client.get("/whatif/?block=ghost").content.decode()
    assert "Cannot both" in client.get("/whatif/?block=api&unblock=api").content.decode()


def test_whatif_picker_finds_nodes_by_name(people: dict[str, Any], lending: Any) -> None:
    """Nobody has to type slugs: search by name, pick, and the result follows."""
    client = client_for(people["member"])
    found = client.get("/whatif/?q=core+banking").content.decode()
    # The blocked root cause is offered as a fix; a healthy node as a failure.
    assert 'name="unblock" value="api"' in found
    assert 'name="block" value="ledger"' not in found  # "Core ledger" does not match
    ledger = client.get("/whatif/?q=ledger&unblock=api").content.decode()
    assert 'name="block" value="ledger"' in ledger
    assert 'type="hidden" name="unblock" value="api"' in ledger  # the pick is kept
    assert "Core banking ↔ lending app API integration</strong> is fixed" in ledger
    assert "-$1,000" in ledger
    fragment = client.get("/whatif/?part=picker&q=lend", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="whatif-picker"') and "<html" not in fragment
    assert "No dependency or capability matches" in client.get("/whatif/?q=zzz").content.decode()
    assert client.get("/whatif/?q=%00").status_code == 400  # refused before any lookup


def test_single_points_of_failure_page(people: dict[str, Any], lending: Any) -> None:
    Node.objects.filter(slug="api").update(manual_state="")
    impact_recompute(force=True)
    client = client_for(people["member"])
    body = client.get("/single-points-of-failure/").content.decode()
    assert "Core ledger" in body and "OBJ-1" in body
    assert "/whatif/?block=ledger" in body
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/single-points-of-failure/?format=csv").content.decode())
        )
    )
    assert {r["node"] for r in rows} == {"cap", "api", "ledger"}
