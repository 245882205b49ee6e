"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work here, so the tests launch the system
Chromium by path and are skipped, with the reason, when it is not installed.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason="Debian's Chromium is not at /usr/bin/chromium "
                        "(apt-get install chromium; make test and .ci/run do it)"
                    )
                )


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the fixtures
    # make here are still plain synchronous ones.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Chromium reports what the Content-Security-Policy refused as console errors.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


@pytest.fixture
def demo(live_server: Any, settings: Any) -> Any:
    """The demo story (DESIGN §5) in the live server's database, with the two ServiceNow
    incidents of the story linked to the unowned integration, and fresh impact results."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from cataligent.roles import Role
    from dependencies.map.drawing import forget_map_cache
    from dependencies.models import ImpactState, Node
    from dependencies.recompute.runner import forget_cache, impact_recompute
    from integrations.models import Connector, Ticket, TicketLink

    # The live server is plain HTTP: secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # A transactional test empties every table, rows made by migrations included.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    ImpactState.objects.get_or_create(pk=1)
    forget_cache()
    forget_map_cache()
    call_command("seed_demo", stdout=io.StringIO())
    # The incidents the demo story tells of, as the ServiceNow sync would have mirrored them.
    connector, _ = Connector.objects.get_or_create(
        slug="servicenow",
        defaults={
            "name": "ServiceNow",
            "kind": "servicenow",
            "base_url": "https://bank.service-now.example/",
        },
    )
    api = Node.objects.get(slug="core-banking-lending-api")
    for number, key, reassignments in ((1, "INC0010001", 5), (2, "INC0010002", 4)):
        ticket, _ = Ticket.objects.update_or_create(
            connector=connector,
            external_id=f"browser-test-{number}",
            defaults=dict(
                key=key,
                url=f"https://bank.service-now.example/incident.do?sys_id=sys-{number}",
                title="Loan booking fails at the core-banking handoff",
                status_raw="Resolved",
                status_category="resolved",
                priority=2,
                assignment_group="Lending",
                reassignment_count=reassignments,
                updated_at=timezone.now(),
            ),
        )
        TicketLink.objects.get_or_create(ticket=ticket, node=api, defaults={"via": "manual"})
    impact_recompute(force=True)
    yield live_server
    forget_cache()


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def wait_until(page: Any, expression: str, arg: Any = None, *, timeout: float = 10_000) -> None:
    """``page.wait_for_function``, polled from here: Playwright's in-page polling evaluates the
    predicate with eval, which the Content-Security-Policy (rightly) refuses."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression, arg):
                return
        except Error as exc:  # the page navigated under us: ask the next one
            if "context was destroyed" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def wait_for_map(page: Any) -> None:
    wait_until(page, "window.cataligentMap && window.cataligentMap.version() !== null")


def click_node(page: Any, element_id: str) -> None:
    """Click a node where Cytoscape drew it on the canvas, as a person would."""
    point = page.evaluate(
        """(id) => {
            const cy = window.cataligentMap.cy;
            const node = cy.getElementById(id);
            if (node.empty()) throw new Error('not drawn: ' + id);
            const box = node.renderedBoundingBox();
            const rect = document.getElementById('cy').getBoundingClientRect();
            const outside = box.x1 < 0 || box.y1 < 0 || box.x2 > rect.width || box.y2 > rect.height;
            if (outside) cy.center(node);
            const p = node.renderedPosition();
            return {x: rect.left + p.x, y: rect.top + p.y};
        }""",
        element_id,
    )
    page.mouse.click(point["x"], point["y"])


def node_data(page: Any, element_id: str) -> dict[str, Any]:
    return page.evaluate(
        "(id) => { const n = window.cataligentMap.cy.getElementById(id);"
        " return n.empty() ? null : Object.assign({classes: n.classes()}, n.data()); }",
        element_id,
    )


def save_artifact(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
