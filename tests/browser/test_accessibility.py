"""Accessibility: axe-core finds no serious or critical violation on any page (issue 18).

The pages are generated from the URLconf, as in tests/web/test_page_permission_matrix.py:
every page URL is either audited here, with real objects of the demo story in its URL, or
listed in NOT_PAGES with the reason it is not a page a person reads. Each page is audited
as leadership and as an admin. The main pages are also written to artifacts/ at 1440 and
390 px for a reviewer to look at.

axe-core comes from the committed package-lock.json (`make assets` runs `npm ci`, which puts
it in node_modules/); it is never served by the app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.conftest import ARTIFACTS, click_node, sign_in, wait_for_map
from tests.web.test_page_permission_matrix import _page_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@dataclass(frozen=True)
class Audited:
    """A page to audit: its URL arguments from the demo story, and a query if it needs one."""

    kwargs: Callable[[], dict[str, Any]] = lambda: {}
    query: str = ""
    roles: tuple[str, ...] = ("leader", "admin")


def _node() -> dict[str, Any]:
    return {"slug": "core-banking-lending-api"}


def _objective() -> dict[str, Any]:
    return {"key": "OBJ-1"}


def _connector() -> dict[str, Any]:
    from integrations.models import Connector

    return {"slug": Connector.objects.order_by("slug").first().slug}  # type: ignore[union-attr]


def _rule() -> dict[str, Any]:
    from integrations.models import LinkRule

    rule = LinkRule.objects.order_by("pk").first()
    assert rule is not None, "the demo story has link rules"
    return {**_connector(), "pk": rule.pk}


def _policy() -> dict[str, Any]:
    from dependencies.models import EscalationPolicy

    return {"pk": EscalationPolicy.objects.order_by("pk").first().pk}  # type: ignore[union-attr]


def _team() -> dict[str, Any]:
    from cataligent.models import Team

    return {"slug": Team.objects.get(lead__username="lead").slug}  # the demo's team lead


ADMIN_ONLY = ("admin",)

AUDITED: dict[str, Audited] = {
    "login": Audited(roles=("anonymous",)),
    "account-tokens": Audited(),
    "connector-list": Audited(roles=ADMIN_ONLY),
    "connector-new": Audited(roles=ADMIN_ONLY),
    "connector-detail": Audited(_connector, roles=ADMIN_ONLY),
    "connector-edit": Audited(_connector, roles=ADMIN_ONLY),
    "link-rule-delete": Audited(_rule, roles=ADMIN_ONLY),
    "map": Audited(),
    "map-node-panel": Audited(_node),
    "map-objective-panel": Audited(_objective),
    "map-node-team": Audited(_node),
    "bottlenecks": Audited(),
    "dashboard": Audited(),
    "reports:digest": Audited(),
    "whatif": Audited(query="?block=core-banking-lending-api"),
    "single-points-of-failure": Audited(),
    "node-list": Audited(),
    "node-detail": Audited(_node),
    "ownership-gaps": Audited(),
    "escalation-policies": Audited(),
    "escalation-policy-new": Audited(roles=ADMIN_ONLY),  # leadership leads no team: 403
    "escalation-policy-edit": Audited(_policy, roles=ADMIN_ONLY),
    "escalation-inbox": Audited(),
    "objective-list": Audited(),
    "objective-detail": Audited(_objective),
    "reports:index": Audited(),
    "reports:detail": Audited(lambda: {"name": "green-red"}),
    "team-list": Audited(),
    "team-detail": Audited(_team),  # the admin sees the assignment-groups form
    "reports:orphans": Audited(),
}

NOT_PAGES: dict[str, str] = {
    "home": "a redirect to the map, a team lead's team page or the objectives",
    "logout": "a form's target (POST)",
    "sso-login": "a redirect to the identity provider",
    "sso-callback": "a redirect back from the identity provider",
    "health": "JSON for probes",
    "favicon": "a redirect to the icon",
    "webhook": "a machine endpoint",
    "account-token-revoke": "a form's target (POST)",
    "connector-test": "a form's target (POST)",
    "connector-sync": "a form's target (POST)",
    "connector-runs": "a fragment polled into the connector page (audited there)",
    "connector-sync-status": "a fragment polled into the connector page",
    "link-rule-create": "a form's target (POST)",
    "link-rule-preview": "a fragment of the connector page",
    "map-graph": "JSON the map draws",
    "map-table": "a fragment of the map page (audited there)",
    "map-node-state": "a form's target (POST)",
    "ownership-gaps-assign": "a form's target (POST)",
    "escalation-level-row": "a fragment of the policy editor (audited there)",
    "escalation-acknowledge": "a form's target (POST)",
    "objective-post-update": "a form's target (POST)",
    "reports:green-red-disconnects": "a fragment of the dashboard (audited there)",
    "reports:green-red-item": "a fragment of the objective page and map panel (audited there)",
    "team-assignment-groups": "a form's target (POST)",
    "node-governance": "a form's target (POST)",
    "node-dependency-add": "a form's target (POST)",
    "node-dependency-remove": "a form's target (POST)",
    "map-node-tickets": "a fragment of the node page and panel (audited there)",
    "reports:orphans-accept": "a form's target (POST)",
}

# The leadership pages a reviewer looks at, at a desktop and a phone width.
MAIN_PAGES = ["/map/", "/bottlenecks/", "/dashboard/", "/escalations/", "/objectives/"]
MAIN_PAGES += ["/ownership-gaps/", "/reports/green-red/"]
WIDTHS = {1440: 900, 390: 844}


def test_every_page_is_audited_or_says_why_not() -> None:
    names = {name for _route, name in _page_patterns()}
    assert names - set(AUDITED) - set(NOT_PAGES) == set(), "audit the new pages here"
    assert (set(AUDITED) | set(NOT_PAGES)) - names == set(), "remove pages that are gone"
    assert not set(AUDITED) & set(NOT_PAGES)


def _open_escalation() -> None:
    """An open escalation, so that the inbox shows its acknowledge form."""
    from dependencies.models import Escalation, Node

    now = dt.datetime.now(dt.UTC)
    Escalation.objects.create(
        node=Node.objects.get(slug="core-banking-lending-api"),
        episode_started_at=now - dt.timedelta(hours=3),
        level=1,
        target_role="leadership",
        target_display="leadership",
        fired_at=now,
    )


def axe_violations(page: Any) -> list[str]:
    """The serious and critical violations axe-core finds on the page, one line each.

    axe is loaded with `page.evaluate` of its source, not `add_script_tag`: a script tag
    with the file's content is an inline script, which the page's Content-Security-Policy
    (script-src 'self') refuses. Code evaluated through the DevTools protocol is not subject
    to the page's CSP, and axe itself uses no eval, so the page is audited exactly as served,
    under its real policy (a context with `bypass_csp` would also let through inline styles
    that real users never see applied).
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 4).map(n => n.target.join(' ') +
                    (n.failureSummary ? ' — ' + n.failureSummary.split('\\n')[1] : ''))}));
        }"""
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {'; '.join(v['targets'])}"
        for v in result
        if v["impact"] in SERIOUS
    ]


def test_the_audit_reports_what_it_finds(page: Any, axe_ready: None) -> None:
    """The audit can fail: an unnamed button and an image without a text are reported."""
    page.set_content('<main><h1>x</h1><button></button><img src="data:,"></main>')
    found = "\n".join(axe_violations(page))
    assert "critical button-name" in found and "critical image-alt" in found, found


def _settle(page: Any, path: str) -> None:
    page.wait_for_load_state("networkidle")
    if path.startswith("/map/") and path.count("/") == 2:
        wait_for_map(page)


@pytest.fixture
def axe_ready() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets` (npm ci from package-lock.json)")


@pytest.mark.parametrize("role", ["leader", "admin", "anonymous"])
def test_every_page_has_no_serious_accessibility_violation(
    demo: Any, page: Any, role: str, axe_ready: None
) -> None:
    _open_escalation()
    if role != "anonymous":
        sign_in(page, demo.url, role)
    found: dict[str, list[str]] = {}
    audited = 0
    for name, spec in sorted(AUDITED.items()):
        if role not in spec.roles:
            continue
        path = reverse(name, kwargs=spec.kwargs()) + spec.query
        response = page.goto(f"{demo.url}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        _settle(page, path)
        audited += 1
        if violations := axe_violations(page):
            found[path] = violations
    assert audited, role
    assert not found, "\n".join(f"{path}\n  " + "\n  ".join(v) for path, v in found.items())


def test_main_pages_at_desktop_and_phone_widths(demo: Any, page: Any, axe_ready: None) -> None:
    """Screenshots for a reviewer, and axe again: a phone's layout hides and shows other
    things (the map becomes its table)."""
    _open_escalation()
    sign_in(page, demo.url, "leader")
    ARTIFACTS.mkdir(exist_ok=True)
    found: dict[str, list[str]] = {}
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in MAIN_PAGES:
            page.goto(f"{demo.url}{path}")
            if width > 700:
                _settle(page, path)  # on a phone the map is its table: nothing is drawn
            else:
                page.wait_for_load_state("networkidle")
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(ARTIFACTS / f"{width}-{name}.png"), full_page=True)
            if violations := axe_violations(page):
                found[f"{path} at {width} px"] = violations
    assert not found, "\n".join(f"{path}\n  " + "\n  ".join(v) for path, v in found.items())


def test_states_a_click_opens_have_no_serious_violation(
    demo: Any, page: Any, axe_ready: None
) -> None:
    """What the first load does not show: the map's side panel, the owning-team confirmation
    and the inbox's error beside a note."""
    _open_escalation()
    sign_in(page, demo.url, "leader")
    found: dict[str, list[str]] = {}

    page.goto(f"{demo.url}/map/")
    wait_for_map(page)
    click_node(page, "n:core-banking-lending-api")
    page.locator("#panel [data-item-id='n:core-banking-lending-api']").wait_for()
    found["the map's side panel"] = axe_violations(page)

    page.goto(f"{demo.url}/map/nodes/core-banking-lending-api/team/")
    page.select_option("select[name=team]", label="Cloud Infrastructure")
    page.click("button[type=submit]:has-text('Continue')")
    page.get_by_text("Make Cloud Infrastructure own").wait_for()
    found["the owning-team confirmation"] = axe_violations(page)

    page.goto(f"{demo.url}/escalations/")
    page.fill("input[name=note]", "   ")
    page.click("button:has-text('Acknowledge')")
    page.locator(".field-error").wait_for()
    found["the inbox's note error"] = axe_violations(page)

    found = {state: v for state, v in found.items() if v}
    assert not found, "\n".join(f"{state}\n  " + "\n  ".join(v) for state, v in found.items())
