"""The dashboard's trend chart, drawn from the `trends` report through a template tag."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from dependencies.models import StateTransition
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_trend_of_blocked_items(client: Any, people: Any) -> None:
    capability = NodeFactory(kind="capability")
    StateTransition.objects.create(
        node=capability,
        at=timezone.now() - dt.timedelta(days=3),
        from_state="operational",
        to_state="blocked",
        version=1,
    )
    client.force_login(people["leadership"])
    page = client.get("/dashboard/").content.decode()
    # Drawn by the shared chart partial (reports/_chart.html), as on the report pages.
    assert 'data-chart="chart-blocked"' in page
    start = page.index('id="chart-blocked" type="application/json">') + len(
        'id="chart-blocked" type="application/json">'
    )
    chart = json.loads(page[start : page.index("</script>", start)])
    assert chart["type"] == "line"
    blocked = next(d for d in chart["data"]["datasets"] if d["label"] == "Blocked capabilities")
    assert blocked["data"][-1] == 1
    # Before the history begins (three days ago) there is no point: nothing is invented.
    assert blocked["data"][-5] is None
    assert blocked["data"][-4:] == [1, 1, 1, 1]


def test_without_history_the_dashboard_says_so(client: Any, people: Any) -> None:
    client.force_login(people["leadership"])
    page = client.get("/dashboard/").content.decode()
    assert 'data-chart="chart-blocked"' in page  # today's point only
