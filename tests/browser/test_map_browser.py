"""The blocked-capability map in a real browser, on the demo story (issue 5)."""

from __future__ import annotations

from typing import Any

import pytest

from dependencies.map.views import POLL_SECONDS
from dependencies.models import Node
from tests.browser.conftest import (
    click_node,
    node_data,
    save_artifact,
    sign_in,
    wait_for_map,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API = "n:core-banking-lending-api"
API_NAME = "Core banking ↔ lending app API integration"


def _api_token(playwright: Any, base_url: str, username: str) -> str:
    request = playwright.request.new_context(base_url=base_url)
    response = request.post("/api/auth/token/", form={"username": username, "password": "demo"})
    assert response.ok, response.text()
    token = response.json()["token"]
    request.dispose()
    return token


def _patch_node(playwright: Any, base_url: str, slug: str, **fields: str) -> None:
    token = _api_token(playwright, base_url, "admin")
    request = playwright.request.new_context(
        base_url=base_url, extra_http_headers={"Authorization": f"Token {token}"}
    )
    response = request.patch(f"/api/nodes/{slug}/", data=fields)
    assert response.ok, response.text()
    request.dispose()


def test_leadership_sees_the_blocked_lending_objective_and_its_tickets(
    demo: Any, page: Any
) -> None:
    sign_in(page, demo.url, "leader")
    assert page.url.endswith("/map/")  # leadership starts on the map
    wait_for_map(page)

    objective = node_data(page, "o:OBJ-1")
    assert objective["state"] == "blocked"
    assert objective["root_causes"] == ["core-banking-lending-api"]
    assert objective["label"].startswith("■ BLOCKED · OBJ-1")
    cause = node_data(page, API)
    assert cause["root"] is True and cause["name"] == API_NAME
    assert "⚑ NO OWNER" in cause["label"]

    # The same story without JavaScript: the table under the map.
    row = page.locator('tr[data-item="OBJ-1"]')
    assert API_NAME in row.inner_text()
    assert "⚑ no owner" in row.inner_text()

    save_artifact(page, "map.png")

    click_node(page, "o:OBJ-1")
    panel = page.locator("#panel")
    panel.locator("[data-item-id='o:OBJ-1']").wait_for()
    assert "Declared on track, but the graph says blocked." in panel.inner_text()
    assert API_NAME in panel.inner_text()

    click_node(page, API)
    panel.locator(f"[data-item-id='{API}']").wait_for()
    text = panel.inner_text()
    assert "⚑ no owner" in text and "no escalation path" in text
    link = panel.locator("a", has_text="INC0010001")
    assert link.get_attribute("href") == (
        "https://bank.service-now.example/incident.do?sys_id=sys-1"
    )
    assert panel.locator("a", has_text="INC0010002").count() == 1
    save_artifact(page, "map-panel.png")

    # Keyboard: into the map, move, open the details with Enter.
    page.focus("#cy")
    page.keyboard.press("ArrowLeft")  # from the integration to what needs it
    focused = page.evaluate("window.cataligentMap.cy.$('node.current').data('name')")
    assert focused in {"Mobile loan origination", "Loan disbursement", "Credit decisioning"}
    page.keyboard.press("Enter")
    wait_until(
        page,
        "(name) => document.querySelector('#panel h2') &&"
        " document.querySelector('#panel h2').textContent.trim() === name",
        arg=focused,
    )


def test_the_map_follows_changes_without_a_reload(demo: Any, page: Any, playwright: Any) -> None:
    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    assert node_data(page, "o:OBJ-2") is None  # on track: not on the affected map
    click_node(page, "o:OBJ-1")
    page.locator("#panel [data-item-id='o:OBJ-1']").wait_for()
    page.evaluate("window.__noReload = true; window.cataligentMap.cy.zoom(0.7); null")
    zoom = page.evaluate("window.cataligentMap.cy.zoom()")
    version = page.evaluate("window.cataligentMap.version()")

    _patch_node(
        playwright,
        demo.url,
        "fraud-engine",
        manual_state="blocked",
        manual_reason="Rules engine down after a bad deploy",
    )
    wait_until(
        page,
        "() => { const n = window.cataligentMap.cy.getElementById('o:OBJ-2');"
        " return n.nonempty() && n.data('state') === 'blocked'; }",
        timeout=10_000,
    )
    assert page.evaluate("window.__noReload") is True
    assert page.evaluate("window.cataligentMap.version()") > version
    assert page.evaluate("window.cataligentMap.cy.zoom()") == pytest.approx(zoom)
    assert page.locator("#panel [data-item-id='o:OBJ-1']").count() == 1  # panel still open
    page.locator('tr[data-item="OBJ-2"]').wait_for()  # the table follows too

    # Only states change now (blocked → degraded): restyled in place, nothing moves.
    positions = page.evaluate(
        "() => Object.fromEntries(window.cataligentMap.cy.nodes().map("
        "n => [n.id(), [Math.round(n.position('x')), Math.round(n.position('y'))]]))"
    )
    _patch_node(playwright, demo.url, "fraud-engine", manual_state="degraded")
    wait_until(
        page,
        "() => window.cataligentMap.cy.getElementById('o:OBJ-2').data('state') === 'degraded'",
        timeout=10_000,
    )
    after = page.evaluate(
        "() => Object.fromEntries(window.cataligentMap.cy.nodes().map("
        "n => [n.id(), [Math.round(n.position('x')), Math.round(n.position('y'))]]))"
    )
    assert after == positions
    assert node_data(page, "o:OBJ-2")["label"].startswith("▲ DEGRADED")
    assert page.evaluate("window.__noReload") is True


def test_a_signed_webhook_reaches_the_open_map_at_its_next_poll(
    demo: Any, page: Any, playwright: Any
) -> None:
    """A P1 ticket pushed for the fraud engine: the capability above it reads blocked on
    the open map at its next poll (every POLL_SECONDS), without a reload."""
    import hashlib
    import hmac
    import json

    from integrations.models import Connector, LinkRule

    connector = Connector(
        slug="rt-hook", name="RT", kind="rt", base_url="https://rt.example/", auth_type="token"
    )
    connector.set_secret("token")
    connector.set_webhook_secret("whsec-browser")
    connector.save()
    engine = Node.objects.get(slug="fraud-engine")
    LinkRule.objects.create(connector=connector, field="ci", pattern="fraud-engine", node=engine)

    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    assert node_data(page, "n:fraud-detection") is None  # operational: not on the map
    page.evaluate("window.__noReload = true")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/map/graph.json" in r.url else None)

    body = json.dumps(
        {
            "external_id": "901",
            "key": "RT#901",
            "title": "Fraud models time out",
            "status_category": "open",
            "priority": 1,
            "ci": "fraud-engine",
            "updated_at": "2026-12-07T09:00:00Z",
        }
    ).encode()
    signature = hmac.new(b"whsec-browser", body, hashlib.sha256).hexdigest()
    request = playwright.request.new_context(base_url=demo.url)
    response = request.post(
        "/hooks/rt-hook/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Cataligent-Signature": f"sha256={signature}",
        },
    )
    assert response.ok, response.text()
    request.dispose()
    sent = len(polls)

    wait_until(
        page,
        "() => { const n = window.cataligentMap.cy.getElementById('n:fraud-detection');"
        " return n.nonempty() && n.data('state') === 'blocked'; }",
        timeout=(POLL_SECONDS * 2 + 5) * 1000,
    )
    # The poll after the webhook brought it (one more if a poll was already under way).
    assert 1 <= len(polls) - sent <= 2
    assert page.evaluate("window.__noReload") is True
    assert node_data(page, "n:fraud-engine")["root"] is True
    page.locator('tr[data-item="fraud-detection"]').wait_for()  # the table follows too


def test_what_if_shows_the_objectives_that_would_break(demo: Any, page: Any) -> None:
    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    page.check("input[name=view][value=all]")  # whole map: healthy nodes can be picked
    page.select_option("#map-fold-by", "none")  # each shown, none folded (issue 18)
    wait_until(page, "window.cataligentMap.cy.getElementById('n:payment-gateway').nonempty()")
    page.click("[data-action=whatif]")
    click_node(page, "n:payment-gateway")
    assert page.evaluate("window.cataligentMap.picked()") == ["n:payment-gateway"]
    page.click("[data-action=whatif-run]")
    result = page.locator("#panel .whatif")
    result.wait_for()
    assert "What if Payment gateway failed?" in " ".join(result.inner_text().split())
    keys = result.locator(".whatif-objectives li").evaluate_all(
        "items => items.map(li => li.dataset.key)"
    )
    assert keys == ["OBJ-2"]  # OBJ-11 is blocked already
    assert "whatif-hit" in node_data(page, "o:OBJ-2")["classes"]
    assert "whatif-hit" not in node_data(page, "o:OBJ-3")["classes"]
    assert "+$60,000" in result.inner_text()
    save_artifact(page, "map-whatif.png")


def test_what_if_on_a_root_cause_asks_what_if_it_were_fixed(demo: Any, page: Any) -> None:
    """Failing what is already blocked changes nothing; picking a root cause means "fixed"."""
    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    page.click("[data-action=whatif]")
    click_node(page, "n:core-banking-lending-api")
    page.click("[data-action=whatif-run]")
    result = page.locator("#panel .whatif")
    result.wait_for()
    text = " ".join(result.inner_text().split())
    assert "fixed" in text, text
    assert "would change by -$" in text, text  # the lending launch's value stops being at risk
    keys = result.locator(".whatif-objectives li").evaluate_all(
        "items => items.map(li => li.dataset.key)"
    )
    assert "OBJ-1" in keys


def test_a_team_lead_sees_edit_controls_only_on_their_own_teams_items(demo: Any, page: Any) -> None:
    sign_in(page, demo.url, "lead")
    # Their own team's capability: the state override form.
    page.goto(f"{demo.url}/nodes/mobile-loan-origination/")
    assert page.locator("form[action='/map/nodes/mobile-loan-origination/state/']").count() == 1
    # Another team's: read only.
    page.goto(f"{demo.url}/nodes/credit-decisioning/")
    assert page.locator("form[action$='/state/']").count() == 0
    assert page.locator("a[href$='/team/']").count() == 0
    # Unowned: they may claim it for their team, nothing more.
    page.goto(f"{demo.url}/nodes/core-banking-lending-api/")
    assert page.locator("form[action$='/state/']").count() == 0
    assert page.locator("a[href='/map/nodes/core-banking-lending-api/team/']").count() == 1

    # The same in the map's side panel; saving there updates the panel and the map.
    page.goto(f"{demo.url}/map/")
    wait_for_map(page)
    click_node(page, "n:credit-decisioning")
    page.locator("#panel [data-item-id='n:credit-decisioning']").wait_for()
    assert page.locator("#panel form").count() == 0
    click_node(page, "n:mobile-loan-origination")
    page.locator("#panel [data-item-id='n:mobile-loan-origination']").wait_for()
    form = page.locator("#panel form")
    form.locator("select[name=manual_state]").select_option("degraded")
    form.locator("textarea[name=manual_reason]").fill("App store review pending")
    form.locator("button[type=submit]").click()
    page.locator("#panel .messages", has_text="set to Degraded").wait_for()
    assert "App store review pending" in page.locator("#panel").inner_text()
