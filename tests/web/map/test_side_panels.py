"""The map's side panels and detail pages: what blocks an item, its tickets, and the edits
the policy allows from there (state overrides, owning teams)."""

from __future__ import annotations

from typing import Any

import pytest

from cataligent.models import AuditEntry
from dependencies.models import Node
from tests.factories import link_ticket
from tests.web.map.support import client_for

pytestmark = pytest.mark.django_db


def test_side_panel_for_a_node(people: dict[str, Any], lending: Any) -> None:
    client = client_for(people["leadership"])
    partial = client.get("/map/nodes/api/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "⚑ no owner" in partial
    assert "no escalation path" in partial
    assert "Bookings fail at the core-banking handoff." in partial
    assert 'href="https://example.service-now.com/incident.do?sys_id=1"' in partial
    assert "INC0010231" in partial and "4\N{MULTIPLICATION SIGN}" in partial
    assert "Mobile loan origination" in partial  # needed by
    assert "Core ledger" in partial  # depends on
    assert "Operational" in partial and "Blocked" in partial  # state history
    full = client.get("/map/nodes/api/").content.decode()
    assert "<html" in full and "INC0010231" in full
    explain = client.get("/map/nodes/cap/?part=explain").content.decode()
    assert "Core banking ↔ lending app API integration" in explain
    assert "<html" not in explain


def test_blocked_by_never_lists_the_item_itself(people: dict[str, Any], lending: Any) -> None:
    client = client_for(people["leadership"])
    panel = client.get("/map/nodes/api/", HTTP_HX_REQUEST="true").content.decode()
    explain = client.get("/map/nodes/api/?part=explain").content.decode()
    assert "Blocked by</h3>" not in panel  # nothing beneath it; "Why this state" says why
    blocked_by = explain.split("Blocked by</h2>", 1)[1].split("</section>", 1)[0]
    assert "/nodes/api/" not in blocked_by
    assert "Nothing beneath it: its own manual state makes it blocked." in explain
    # Beneath a self-caused blocker, the capability still names it.
    assert "Core banking ↔ lending app API integration" in (
        client.get("/map/nodes/cap/?part=explain").content.decode()
    )


def test_tickets_list_the_active_ones_first(people: dict[str, Any], lending: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    link_ticket(
        lending["nodes"]["api"],
        key="INC0000001",
        status_category="closed",
        is_blocking=False,
        updated_at=now,
    )
    link_ticket(
        lending["nodes"]["api"],
        key="INC0000002",
        status_category="in_progress",
        is_blocking=False,
        updated_at=now - dt.timedelta(days=30),
    )
    # The node page lists them (paged); the panel too.
    for url in ("/nodes/api/", "/map/nodes/api/"):
        body = client_for(people["member"]).get(url).content.decode()
        assert body.index("INC0000002") < body.index("INC0000001")  # active before newer closed


def test_side_panel_for_an_objective(people: dict[str, Any], lending: Any) -> None:
    body = (
        client_for(people["member"]).get("/map/objectives/OBJ-1/", HTTP_HX_REQUEST="true").content
    ).decode()
    assert "Declared on track, but the graph says blocked." in body
    assert "Core banking ↔ lending app API integration" in body
    assert "lost so far" in body
    assert "after 0 min → lead of Team A" in body
    assert "· due" in body


def test_detail_pages_show_declared_and_computed_state(
    people: dict[str, Any], lending: Any
) -> None:
    client = client_for(people["member"])
    objective = client.get("/objectives/OBJ-1/").content.decode()
    assert "Computed from the graph" in objective and "Declared by the owner" in objective
    assert "⚑ Declared on track, but the graph says blocked" in objective
    assert "/map/objectives/OBJ-1/?part=explain" in objective
    node = client.get("/nodes/cap/").content.decode()
    assert "Its own state (override or tickets)" in node
    assert "/map/nodes/cap/?part=explain" in node


@pytest.mark.parametrize(
    ("role", "slug", "state_form", "assign_team"),
    [
        ("lead_a", "cap", True, False),
        ("lead_b", "cap", False, False),
        ("member", "cap", False, False),
        ("leadership", "cap", False, True),  # moves it to another team (issue 18)
        ("admin", "cap", True, True),
        ("leadership", "api", False, True),
        ("lead_b", "api", False, True),
        ("member", "api", False, False),
    ],
)
def test_edit_controls_follow_the_policy(
    role: str,
    slug: str,
    state_form: bool,
    assign_team: bool,
    people: dict[str, Any],
    lending: Any,
) -> None:
    client = client_for(people[role])
    action = f'action="/map/nodes/{slug}/state/"'
    assign = f'href="/map/nodes/{slug}/team/"'
    for url in (f"/nodes/{slug}/", f"/map/nodes/{slug}/"):
        body = client.get(url).content.decode()
        assert (action in body) is state_form, url
        assert (assign in body) is assign_team, url


def test_team_lead_overrides_the_state_of_their_own_node(
    people: dict[str, Any], lending: Any
) -> None:
    data = {"manual_state": "degraded", "manual_reason": "Vendor maintenance window"}
    assert client_for(people["lead_b"]).post("/map/nodes/cap/state/", data).status_code == 403
    assert client_for(people["member"]).post("/map/nodes/cap/state/", data).status_code == 403
    assert Node.objects.get(slug="cap").manual_state == ""

    response = client_for(people["lead_a"]).post(
        "/map/nodes/cap/state/", data | {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/nodes/cap/"  # an outside `next` is ignored
    node = Node.objects.get(slug="cap")
    assert (node.manual_state, node.manual_set_by) == ("degraded", people["lead_a"])
    entry = AuditEntry.objects.get(field="manual_state", object_id=str(node.pk))
    assert entry.actor == people["lead_a"]

    htmx = client_for(people["lead_a"]).post(
        "/map/nodes/cap/state/",
        {"manual_state": "blocked", "manual_reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "Say why" in htmx.content.decode()  # a state needs a reason
    cleared = client_for(people["lead_a"]).post(
        "/map/nodes/cap/state/", {"manual_state": "", "manual_reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert cleared["HX-Trigger"] == "map-changed"
    assert Node.objects.get(slug="cap").manual_state == ""


def test_assigning_an_owning_team(people: dict[str, Any], lending: Any) -> None:
    leadership = client_for(people["leadership"])
    page = leadership.get("/map/nodes/api/team/").content.decode()
    assert "Team A" in page and "Team B" in page
    assert leadership.get("/map/nodes/cap/team/").status_code == 200  # may move it (issue 18)
    assert client_for(people["member"]).get("/map/nodes/api/team/").status_code == 403

    lead_a = client_for(people["lead_a"])
    assert "Team B" not in lead_a.get("/map/nodes/api/team/").content.decode()
    refused = lead_a.post("/map/nodes/api/team/", {"team": "team-b"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    confirm = lead_a.post("/map/nodes/api/team/", {"team": "team-a"})
    assert confirm.status_code == 200 and "Make Team A own" in confirm.content.decode()
    assert Node.objects.get(slug="api").team is None  # not before it is confirmed
    claimed = lead_a.post("/map/nodes/api/team/", {"team": "team-a", "confirmed": "on"})
    assert claimed.status_code == 302
    assert Node.objects.get(slug="api").team == people["team_a"]
    # Leadership corrects it (issue 18: it had no way to, once a team was set).
    moved = leadership.post("/map/nodes/api/team/", {"team": "team-b", "confirmed": "on"})
    assert moved.status_code == 302
    assert Node.objects.get(slug="api").team == people["team_b"]
    # ...but the team of lead_a's node is no longer lead_a's to give away.
    assert lead_a.post("/map/nodes/api/team/", {"team": "team-a"}).status_code == 403
