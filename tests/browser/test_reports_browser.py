"""The reports in a browser under the strict CSP: Chart.js draws the chart from the page's
JSON, beside the plain table; the dashboard and the objective page load their green-red parts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """() => {
  const canvas = document.querySelector('canvas[data-chart="chart-sla-vs-blocked"]');
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return Boolean(chart && canvas.width > 0 && chart.data.labels.length > 0);
}"""


@pytest.fixture
def green_incidents(demo: Any) -> Any:
    """The story's incidents met their SLA while the lending capabilities stayed blocked
    (for five days: the seed's state history begins when it ran)."""
    import datetime as dt

    from django.utils import timezone

    from dependencies.models import StateTransition
    from integrations.models import Ticket

    Ticket.objects.filter(external_id__startswith="browser-test-").update(sla_breached=False)
    StateTransition.objects.update(at=timezone.now() - dt.timedelta(days=5))
    return demo


def test_the_green_red_page_draws_its_chart_beside_the_table(
    page: Any, green_incidents: Any
) -> None:
    sign_in(page, green_incidents.url, "leader")
    page.goto(f"{green_incidents.url}/reports/green-red/")

    wait_until(page, DRAWN)
    highlighted = page.evaluate(
        """() => {
          const chart = window.Chart.getChart(document.querySelector('canvas[data-chart]'));
          return chart.data.datasets[0].backgroundColor.filter(c => c === '#b91c1c').length;
        }"""
    )
    assert highlighted >= 1  # the disconnects stand out
    table = page.locator("section.report-table table").first
    assert table.locator("caption").inner_text() != ""
    assert table.locator("tbody tr").count() >= 1
    assert page.locator("tr.disconnect").count() >= 1
    # The numbers of the chart, for whoever cannot see it.
    page.locator("figure.report-chart summary").click()
    assert page.locator("figure.report-chart details table tbody tr").count() >= 1


def test_the_dashboard_and_the_objective_page_load_their_green_red_parts(
    page: Any, green_incidents: Any
) -> None:
    sign_in(page, green_incidents.url, "leader")
    page.goto(f"{green_incidents.url}/dashboard/")
    page.locator(".green-red-disconnects").wait_for()
    assert "Green-red disconnects" in page.locator(".green-red-disconnects h2").inner_text()

    page.goto(f"{green_incidents.url}/objectives/OBJ-1/")
    page.locator(".green-red-row").wait_for()
    assert "Supporting tickets" in page.locator(".green-red-row").inner_text()


def test_the_dashboard_draws_its_trend_chart(page: Any, demo: Any) -> None:
    """The dashboard's trend chart (issue 12): Chart.js draws it from the page's JSON under
    the strict CSP, with the numbers in a table beside it."""
    sign_in(page, demo.url, "leader")
    page.goto(f"{demo.url}/dashboard/")
    wait_until(
        page,
        """() => {
          const canvas = document.querySelector('.dashboard-trends canvas[data-chart]');
          const chart = canvas && window.Chart && window.Chart.getChart(canvas);
          return Boolean(chart && chart.data.datasets.length > 0 && chart.data.labels.length > 0);
        }""",
    )
    assert page.locator(".dashboard-trends details table tbody tr").count() >= 1
