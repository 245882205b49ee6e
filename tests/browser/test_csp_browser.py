"""Under the Content-Security-Policy (cataligent/csp.py) every page still works, with nothing
refused and nothing logged as an error; and the policy really stops an injected script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import sign_in, wait_for_map, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/bottlenecks/",
    "/dashboard/",
    "/objectives/",
    "/objectives/OBJ-1/",
    "/nodes/",
    "/nodes/core-banking-lending-api/",
    "/escalations/",
    "/ownership-gaps/",
    "/escalation-policies/",
    "/whatif/?block=core-banking-lending-api",
    "/connectors/",
    "/connectors/servicenow/",
    "/single-points-of-failure/",
    "/admin/",
    "/admin/dependencies/node/",
    "/api/nodes/",
]


@pytest.fixture
def console(page: Any) -> Iterator[list[str]]:
    """Every console error and warning on the page (CSP refusals are among them)."""
    messages: list[str] = []
    page.on(
        "console",
        lambda m: (
            messages.append(f"{m.type}: {m.text} ({page.url})")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: messages.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield messages


def _open(page: Any, url: str) -> Any:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    directives = dict(
        part.strip().split(" ", 1)
        for part in response.headers.get("content-security-policy", "").split(";")
        if part.strip()
    )
    assert directives.get("script-src") == "'self'", f"{url}: {directives}"
    page.wait_for_load_state("networkidle")
    return response


def test_the_main_pages_run_under_the_policy_with_no_console_errors(
    demo: Any, page: Any, console: list[str]
) -> None:
    _open(page, f"{demo.url}/login/")
    sign_in(page, demo.url, "admin")
    _open(page, f"{demo.url}/map/")
    wait_for_map(page)
    from dependencies.models import Node

    node = Node.objects.get(slug="core-banking-lending-api")
    for path in [*PAGES, f"/admin/dependencies/node/{node.pk}/change/"]:
        _open(page, f"{demo.url}{path}")
    assert not console, "\n".join(console)


def test_htmx_loads_and_swaps_under_the_policy(demo: Any, page: Any, console: list[str]) -> None:
    sign_in(page, demo.url, "admin")
    # hx-trigger="load": the node page fetches its explanation after it loads.
    _open(page, f"{demo.url}/nodes/core-banking-lending-api/")
    wait_until(page, "!document.querySelector('[hx-trigger=load]')")
    # The map's panel, swapped in by htmx when a table row is opened.
    _open(page, f"{demo.url}/map/")
    wait_for_map(page)
    page.locator("#map-table [data-open-panel]").first.click()
    page.locator("#panel [data-item-id]").wait_for()
    assert not console, "\n".join(console)


def test_adding_an_escalation_level_numbers_the_new_row(
    demo: Any, page: Any, console: list[str]
) -> None:
    """What hx-vals="js:…" and hx-on did inline, static/js/policy_levels.js does now."""
    sign_in(page, demo.url, "admin")
    _open(page, f"{demo.url}/escalation-policies/new/")
    levels = page.locator("#levels fieldset")
    before = levels.count()
    for added in (1, 2):
        page.get_by_role("button", name="Add a level").click()
        wait_until(
            page, f"document.querySelectorAll('#levels fieldset').length === {before + added}"
        )
        index = before + added - 1
        assert levels.nth(index).locator(f"[name='levels-{index}-after_minutes']").count() == 1
        total = page.locator("#id_levels-TOTAL_FORMS").input_value()
        assert total == str(before + added)
    assert not console, "\n".join(console)


def test_the_api_docs_render_under_the_policy(demo: Any, page: Any, console: list[str]) -> None:
    sign_in(page, demo.url, "admin")
    response = _open(page, f"{demo.url}/api/docs/")
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock-tag").first.wait_for()
    assert not console, "\n".join(console)


def test_an_injected_inline_script_does_not_run(demo: Any, browser: Any) -> None:
    """The policy is enforced by the browser: a script that got into the page (as a ticket's
    title would, if escaping failed) is refused and reported."""
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, demo.url, "leader")
        _open(page, f"{demo.url}/dashboard/")
        page.evaluate(
            """() => {
                const script = document.createElement('script');
                script.textContent = 'window.injected = true';
                document.body.appendChild(script);
                const link = document.createElement('a');
                link.href = 'javascript:window.injected = true';
                document.body.appendChild(link);
                link.click();
                const img = document.createElement('img');
                img.setAttribute('onerror', 'window.injected = true');
                img.src = 'data:,not-an-image';
                document.body.appendChild(img);
            }"""
        )
        page.wait_for_timeout(300)
        assert page.evaluate("window.injected") is None
        assert len([m for m in refused if "Content Security Policy" in m]) >= 3, refused
    finally:
        context.close()


def test_the_map_exports_under_the_policy(demo: Any, page: Any, console: list[str]) -> None:
    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    for action, extension in (("png", ".png"), ("svg", ".svg")):
        with page.expect_download() as download:
            page.click(f"[data-action={action}]")
        assert download.value.suggested_filename.endswith(extension)
        assert Path(download.value.path()).stat().st_size > 1000
    assert not console, "\n".join(console)
