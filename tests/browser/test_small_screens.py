"""Phones: every main page fits a 390 px screen (nothing scrolls the page sideways)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import save_artifact, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/map/", "/bottlenecks/", "/dashboard/", "/escalations/", "/objectives/", "/nodes/"]
# The teams, and where each lands after signing in (a team lead: their team's page).
PAGES += ["/teams/", "/"]
# The execution reports: wide tables and charts scroll or shrink inside the page.
PAGES += [f"/reports/{name}/" for name in ("green-red", "outcomes", "alignment", "shadow-ops")]
PAGES += ["/reports/spend/", "/reports/trends/", "/reports/digest/", "/reports/orphans/"]

# What sticks out past the right edge, for a message that says where to look.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.parentElement.closest('nav, .table'))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""


@pytest.mark.parametrize("username", ["leader", "lead"])
def test_main_pages_fit_a_phone(demo: Any, page: Any, username: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo.url, username)
    for path in PAGES:
        page.goto(f"{demo.url}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width, page.evaluate(STICKING_OUT))
        if username == "leader":
            save_artifact(page, f"phone{path.strip('/').replace('/', '-') or '-home'}.png")
    # The map shows as its table: the root causes are there to read.
    page.goto(f"{demo.url}/map/")
    assert page.locator(".map-small-note").is_visible()
    assert page.locator("#map-table").get_by_text("Core banking").first.is_visible()
