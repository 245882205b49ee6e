"""The demo's year of run costs: believable, idempotent, and reaching the demo's objectives."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from reports import registry
from reports.models import CostLine
from reports.window import parse_window

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_year_of_monthly_costs_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    lines = CostLine.objects.all()
    assert lines.values("month").distinct().count() == 12
    core = lines.filter(node__slug="core-ledger").aggregate(total=Sum("amount"))["total"]
    lending = lines.filter(node__slug="lending-app").aggregate(total=Sum("amount"))["total"]
    assert core > lending > Decimal(100_000)  # a year of the lending app's run cost
    count = lines.count()
    call_command("seed_demo", stdout=StringIO())
    assert CostLine.objects.count() == count

    result = registry.get("spend").build(parse_window({}))  # type: ignore[union-attr]
    lending_objective = next(
        i for i in result["items"] if i["kind"] == "objective" and "lending" in i["name"].lower()
    )
    assert Decimal(lending_objective["spend"]) > 0
    assert Decimal(lending_objective["spend_on_blocked"]) > 0
