"""The connector form's setup guide follows the kind menu in the browser, without a reload,
under the real CSP; the form follows it too; and without JavaScript every guide is there."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import ConnectorKind
from tests.browser.conftest import save_artifact, sign_in
from tests.browser.test_accessibility import AXE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shown(page: Any) -> list[str]:
    """The kinds whose guide shows, and which of them is open."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#guides details[data-kind]')]
            .filter(d => !d.hidden).map(d => d.dataset.kind + (d.open ? ':open' : ''))"""
    )


def test_the_guide_follows_the_kind_without_a_reload(demo: Any, page: Any) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets`")
    sign_in(page, demo.url, "admin")
    page.goto(f"{demo.url}/connectors/new/")
    # No kind chosen yet: every guide shows, closed, to pick from.
    assert _shown(page) == list(ConnectorKind.values)
    assert page.locator("#guides-title").inner_text() == "Setting up each kind"
    page.evaluate("() => { window.stillThisPage = true; }")

    page.select_option("select[name=kind]", "github")
    assert _shown(page) == ["github:open"]
    assert page.locator("#guides-title").inner_text() == "Setting up GitHub issues"
    assert page.locator("#guide-github").get_by_text("owner/name").first.is_visible()
    assert page.locator("#guide-github code", has_text="X-Hub-Signature-256").is_visible()
    # The form follows: GitHub takes no basic auth; the examples are the placeholders.
    assert page.locator("select[name=auth_type] option[value=basic]").is_disabled()
    assert page.input_value("select[name=auth_type]") in ("token", "bearer")
    assert page.get_attribute("#id_base_url", "placeholder") == "https://api.github.com"
    assert page.get_attribute("#id_query", "placeholder") == "e.g. acme/widgets"
    assert page.get_attribute("#id_username", "placeholder") == "leave empty"
    assert "personal access token" in page.get_attribute("#id_new_secret", "placeholder")
    assert not axe_violations(page)

    # What goes in the user and secret fields follows the auth type as well.
    page.select_option("select[name=kind]", "jira")
    page.select_option("select[name=auth_type]", "basic")
    assert page.get_attribute("#id_username", "placeholder") == "the account's email"
    page.select_option("select[name=auth_type]", "bearer")
    assert page.get_attribute("#id_username", "placeholder") == "leave empty"
    assert "personal access token" in page.get_attribute("#id_new_secret", "placeholder")

    page.select_option("select[name=kind]", "pagerduty")
    assert _shown(page) == ["pagerduty:open"]
    assert page.locator("#guides-title").inner_text() == "Setting up PagerDuty"
    assert page.input_value("select[name=auth_type]") == "token"
    assert "leave empty" in page.get_attribute("#id_query", "placeholder")
    assert page.evaluate("() => window.stillThisPage === true"), "the page was reloaded"
    # The longest guide scrolls beside the form: a keyboard reaches it too (axe).
    page.select_option("select[name=kind]", "jira")
    assert page.evaluate(
        "() => { const g = document.getElementById('guides');"
        " return g.scrollHeight > g.clientHeight; }"
    )
    assert not axe_violations(page)

    # A JSM Operations base URL without its cloud id: refused beside the field, and the
    # page comes back with that kind's guide open.
    page.select_option("select[name=kind]", "jsm_ops")
    page.fill("#id_name", "Ops alerts")
    page.fill("#id_slug", "ops-alerts")
    page.fill("#id_base_url", "https://api.atlassian.com/")
    page.fill("#id_username", "ops@acme.example")
    page.fill("#id_new_secret", "s3cret-token")
    page.fill("#id_options", '{"site_url": "https://acme.atlassian.net", "teams": {}}')
    page.click("button[type=submit]")
    page.locator(".error-summary").wait_for()
    base_url = page.locator(".field.invalid", has=page.locator("#id_base_url"))
    assert "cloud id" in base_url.locator(".field-error").inner_text()
    options = page.locator(".field.invalid", has=page.locator("#id_options"))
    assert "teams" in options.locator(".field-error").inner_text()
    assert "site_url" in options.locator(".field-error").inner_text()
    assert _shown(page) == ["jsm_ops:open"]
    assert page.locator("#id_base_url").get_attribute("aria-invalid") == "true"
    assert not axe_violations(page)
    save_artifact(page, "connector-new-errors.png")


def test_the_form_and_its_guide_fit_a_phone(demo: Any, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo.url, "admin")
    page.goto(f"{demo.url}/connectors/servicenow/edit/")
    assert _shown(page) == ["servicenow:open"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The guide is below the form on a phone: the link under the kind leads to it.
    jump = page.locator("[data-guide-jump]")
    assert jump.inner_text().startswith("Setting up ServiceNow")
    jump.click()
    page.wait_for_timeout(200)
    assert page.locator("#guides-title").is_visible()
    save_artifact(page, "connector-edit-guide-390.png")


def test_without_javascript_every_guide_is_there(demo: Any, browser: Any) -> None:
    viewport = {"width": 1440, "height": 900}
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    try:
        page = context.new_page()
        sign_in(page, demo.url, "admin")
        page.goto(f"{demo.url}/connectors/servicenow/edit/")
        states = {
            kind: page.locator(f"#guide-{kind}").get_attribute("open") is not None
            for kind in ConnectorKind.values
        }
        assert states == {kind: kind == "servicenow" for kind in ConnectorKind.values}
        assert page.locator("#guide-servicenow").get_by_text("sla_source").is_visible()
        # A closed guide opens with a click on its summary, no script needed.
        zendesk = page.locator("#guide-zendesk")
        assert not zendesk.get_by_text("requests_per_minute").is_visible()
        zendesk.locator("summary").click()
        assert zendesk.get_by_text("requests_per_minute").is_visible()
    finally:
        context.close()
