"""A leader opens a fresh demo and sees the lending launch's green-red disconnect (issue 11).

Nothing is patched here: `seed_demo`, then the simulated ServiceNow and Jira that `make demo`
runs, synced through the real connectors, then one recompute. The page must tell the story
from the demo's own tickets: the lending launch blocked for weeks while its tickets met SLA,
the integration's incident resolved while it stayed blocked, by the wrong department.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import sign_in, wait_until
from tests.demo_sync import synced_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fresh_demo(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from django.contrib.auth.models import Group

    from cataligent.roles import Role
    from dependencies.map.drawing import forget_map_cache
    from dependencies.models import ImpactState
    from dependencies.recompute.runner import forget_cache

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    for role in Role:  # a transactional test empties the tables migrations filled
        Group.objects.get_or_create(name=role.value)
    ImpactState.objects.get_or_create(pk=1)
    forget_cache()
    forget_map_cache()
    with synced_demo(monkeypatch):
        yield live_server


def test_a_leader_sees_the_lending_launch_disconnect_on_a_fresh_demo(
    page: Any, fresh_demo: Any
) -> None:
    sign_in(page, fresh_demo.url, "leader")

    page.goto(f"{fresh_demo.url}/dashboard/")
    card = page.locator(".green-red-disconnects")
    card.wait_for()
    assert "Launch digital lending platform" in card.inner_text()

    page.goto(f"{fresh_demo.url}/reports/green-red/")
    disconnects = page.locator("tr.disconnect")
    assert "Launch digital lending platform" in " ".join(disconnects.all_inner_texts())
    wait_until(
        page,
        """() => {
          const canvas = document.querySelector('canvas[data-chart]');
          return Boolean(canvas && window.Chart && window.Chart.getChart(canvas));
        }""",
    )
    text = page.locator("main").inner_text()
    # The integration's incident: resolved, yet the integration stayed blocked, and resolved
    # by a group that belongs to no team owning it, after reassignments.
    assert "Resolved, but the node stayed blocked" in text
    assert "Went to the wrong department" in text
    assert "INC0010002" in text

    page.goto(f"{fresh_demo.url}/objectives/OBJ-1/")
    row = page.locator(".green-red-row")
    row.wait_for()
    assert "Green-red disconnect" in row.inner_text()
