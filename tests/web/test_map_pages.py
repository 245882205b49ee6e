"""The leadership pages: map, side panel, bottlenecks, dashboard, what-if, single points of
failure. Sign-in required, the policy decides, queries do not grow with the organisation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cataligent.models import AuditEntry
from dependencies.map.drawing import forget_map_cache, map_graph
from dependencies.map.query import MapFilters
from dependencies.models import Edge, Node
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
    PeriodFactory,
    link_ticket,
)

pytestmark = pytest.mark.django_db

ROLES = ["member", "lead_a", "lead_b", "leadership", "admin"]


@pytest.fixture(autouse=True)
def _fresh_engine_cache():  # type: ignore[no-untyped-def]
    # Each test has its own database; a result cached by an earlier test is not its.
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lending(people: dict[str, Any]) -> dict[str, Any]:
    """OBJ-1 → capability (team A) → unowned integration (blocked by hand) → ledger (team B)."""
    policy = EscalationPolicyFactory(name="Lending standard", team=people["team_a"])
    EscalationLevelFactory(
        policy=policy, position=1, after_minutes=0, notify_team=people["team_a"], notify_role=""
    )
    nodes = {
        "cap": NodeFactory(
            slug="cap",
            name="Mobile loan origination",
            kind="capability",
            team=people["team_a"],
            owner=people["lead_a"],
            escalation_policy=policy,
        ),
        "api": NodeFactory(
            slug="api",
            name="Core banking ↔ lending app API integration",
            kind="integration",
            manual_state="blocked",
            manual_reason="Bookings fail at the core-banking handoff.",
        ),
        "app": NodeFactory(slug="app", name="Lending app", team=people["team_a"]),
        "ledger": NodeFactory(slug="ledger", name="Core ledger", team=people["team_b"]),
    }
    Edge.objects.create(source=nodes["cap"], target=nodes["api"])
    Edge.objects.create(source=nodes["cap"], target=nodes["app"], criticality="soft")
    Edge.objects.create(source=nodes["api"], target=nodes["ledger"])
    objective = ObjectiveFactory(
        key="OBJ-1",
        title="Launch digital lending",
        value_at_stake=1000,
        team=people["team_a"],
        owner=people["lead_a"],
        escalation_policy=policy,
        period=PeriodFactory(),
    )
    objective.requirements.create(node=nodes["cap"])
    link_ticket(
        nodes["api"],
        key="INC0010231",
        title="Loan booking fails",
        url="https://example.service-now.com/incident.do?sys_id=1",
        status_category="resolved",
        is_blocking=False,
        reassignment_count=4,
    )
    impact_recompute(force=True)
    return {"nodes": nodes, "objective": objective, "policy": policy}


PAGES = [
    "/map/",
    "/map/graph.json",
    "/map/table/",
    "/map/nodes/api/",
    "/map/objectives/OBJ-1/",
    "/bottlenecks/",
    "/dashboard/",
    "/whatif/?block=ledger",
    "/single-points-of-failure/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(url: str, lending: Any) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page(role: str, people: dict[str, Any], lending: Any) -> None:
    client = _client(people[role])
    for url in PAGES:
        assert client.get(url).status_code == 200, url
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200, url


def test_leadership_starts_on_the_map(people: dict[str, Any]) -> None:
    assert _client(people["leadership"]).get("/")["Location"] == "/map/"
    assert _client(people["member"]).get("/")["Location"] == "/objectives/"


def test_map_shows_what_blocks_what(people: dict[str, Any], lending: Any) -> None:
    body = _client(people["leadership"]).get("/map/").content.decode()
    assert "1,000" in body  # value at risk per week
    table = body[body.index('id="map-table"') :]
    assert "OBJ-1 Launch digital lending" in table
    assert "Core banking ↔ lending app API integration" in table
    assert "⚑ no owner" in table
    assert "Core ledger" not in table  # operational: not a root cause
    assert 'src="/static/vendor/cytoscape.min.js"' in body
    assert "map-initial" in body


def test_graph_json_elements_and_conditional_get(people: dict[str, Any], lending: Any) -> None:
    client = _client(people["member"])
    response = client.get("/map/graph.json")
    data = response.json()
    ids = {n["data"]["id"] for n in data["elements"]["nodes"]}
    assert ids == {"o:OBJ-1", "n:cap", "n:api"}  # affected only
    api = next(n["data"] for n in data["elements"]["nodes"] if n["data"]["id"] == "n:api")
    assert api["root"] is True
    assert api["gaps"] == ["owner", "team", "escalation policy"]
    assert api["label"].startswith("■ BLOCKED · ROOT CAUSE")
    assert "⚑ NO OWNER" in api["label"]
    edges = {e["data"]["id"]: e["data"] for e in data["elements"]["edges"]}
    assert edges["r:OBJ-1:cap"]["carries"] and edges["e:cap:api"]["carries"]

    etag = response["ETag"]
    assert client.get("/map/graph.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another filter is another map.
    assert client.get("/map/graph.json?view=all", HTTP_IF_NONE_MATCH=etag).status_code == 200
    whole = client.get("/map/graph.json?view=all").json()
    assert {n["data"]["id"] for n in whole["elements"]["nodes"]} == {
        "o:OBJ-1",
        "n:cap",
        "n:api",
        "n:app",
        "n:ledger",
    }
    # A state change makes the same request answer in full again.
    Node.objects.filter(slug="api").update(manual_state="")
    impact_recompute(force=True)
    assert client.get("/map/graph.json", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_governance_change_shows_on_the_map_without_a_state_change(
    people: dict[str, Any], lending: Any
) -> None:
    client = _client(people["leadership"])
    etag = client.get("/map/graph.json")["ETag"]
    no_team = '<span class="flag">· no team</span>'
    assert no_team in client.get("/map/").content.decode()
    client.post("/map/nodes/api/team/", {"team": "team-b", "confirmed": "on"})
    response = client.get("/map/graph.json", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    api = next(
        n["data"] for n in response.json()["elements"]["nodes"] if n["data"]["id"] == "n:api"
    )
    assert api["team"] == "Team B"
    assert no_team not in client.get("/map/").content.decode()


def test_filters_keep_the_root_causes_of_what_they_show(
    people: dict[str, Any], lending: Any
) -> None:
    by_team = map_graph(MapFilters(team="team-a"))
    ids = {n["data"]["id"] for n in by_team.nodes}
    # The unowned integration belongs to no team, but it is why team A's items are blocked.
    assert ids == {"o:OBJ-1", "n:cap", "n:api"}
    kinds = map_graph(MapFilters(view="all", kind="capability"))
    assert {n["data"]["id"] for n in kinds.nodes} == {"n:cap", "n:api"}  # no objectives
    search = map_graph(MapFilters(view="all", q="ledger"))
    assert {n["data"]["id"] for n in search.nodes} == {"n:ledger"}
    period = map_graph(MapFilters(view="all", period="2026-Q4"))
    assert {n["data"]["id"] for n in period.nodes} >= {"o:OBJ-1", "n:cap", "n:ledger"}
    assert map_graph(MapFilters(period="1999-Q1")).nodes == []


def test_large_maps_are_grouped_by_team(people: dict[str, Any], lending: Any) -> None:
    grouped = map_graph(MapFilters(view="all"), budget=3)
    assert grouped.mode == "grouped"
    ids = {n["data"]["id"] for n in grouped.nodes}
    assert ids == {"gn:team-a", "gn:team-b", "gn:_none", "go:team-a"}
    team_a = next(n["data"] for n in grouped.nodes if n["data"]["id"] == "gn:team-a")
    assert (team_a["count"], team_a["blocked"], team_a["state"]) == (2, 1, "blocked")
    assert ("gn:team-a", "gn:_none") in {
        (e["data"]["source"], e["data"]["target"]) for e in grouped.edges
    }
    assert "grouped by owning team" in grouped.notes[0]

    expanded = map_graph(MapFilters(view="all", expand=("_none",)), budget=3)
    ids = {n["data"]["id"] for n in expanded.nodes}
    assert "n:api" in ids and "gn:_none" not in ids
    assert ("gn:team-a", "n:api") in {
        (e["data"]["source"], e["data"]["target"]) for e in expanded.edges
    }
    too_big = map_graph(MapFilters(view="all", expand=("team-a",)), budget=1)
    assert "gn:team-a" in {n["data"]["id"] for n in too_big.nodes}
    assert any("too many to draw" in note for note in too_big.notes)


def test_side_panel_for_a_node(people: dict[str, Any], lending: Any) -> None:
    client = _client(people["leadership"])
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
    client = _client(people["leadership"])
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
        body = _client(people["member"]).get(url).content.decode()
        assert body.index("INC0000002") < body.index("INC0000001")  # active before newer closed


def test_side_panel_for_an_objective(people: dict[str, Any], lending: Any) -> None:
    body = (
        _client(people["member"]).get("/map/objectives/OBJ-1/", HTTP_HX_REQUEST="true").content
    ).decode()
    assert "Declared on track, but the graph says blocked." in body
    assert "Core banking ↔ lending app API integration" in body
    assert "lost so far" in body
    assert "after 0 min → lead of Team A" in body
    assert "· due" in body


def test_detail_pages_show_declared_and_computed_state(
    people: dict[str, Any], lending: Any
) -> None:
    client = _client(people["member"])
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
    client = _client(people[role])
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
    assert _client(people["lead_b"]).post("/map/nodes/cap/state/", data).status_code == 403
    assert _client(people["member"]).post("/map/nodes/cap/state/", data).status_code == 403
    assert Node.objects.get(slug="cap").manual_state == ""

    response = _client(people["lead_a"]).post(
        "/map/nodes/cap/state/", data | {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/nodes/cap/"  # an outside `next` is ignored
    node = Node.objects.get(slug="cap")
    assert (node.manual_state, node.manual_set_by) == ("degraded", people["lead_a"])
    entry = AuditEntry.objects.get(field="manual_state", object_id=str(node.pk))
    assert entry.actor == people["lead_a"]

    htmx = _client(people["lead_a"]).post(
        "/map/nodes/cap/state/",
        {"manual_state": "blocked", "manual_reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "Say why" in htmx.content.decode()  # a state needs a reason
    cleared = _client(people["lead_a"]).post(
        "/map/nodes/cap/state/", {"manual_state": "", "manual_reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert cleared["HX-Trigger"] == "map-changed"
    assert Node.objects.get(slug="cap").manual_state == ""


def test_assigning_an_owning_team(people: dict[str, Any], lending: Any) -> None:
    leadership = _client(people["leadership"])
    page = leadership.get("/map/nodes/api/team/").content.decode()
    assert "Team A" in page and "Team B" in page
    assert leadership.get("/map/nodes/cap/team/").status_code == 200  # may move it (issue 18)
    assert _client(people["member"]).get("/map/nodes/api/team/").status_code == 403

    lead_a = _client(people["lead_a"])
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


def test_bottlenecks(people: dict[str, Any], lending: Any) -> None:
    client = _client(people["leadership"])
    body = client.get("/bottlenecks/").content.decode()
    assert "Core banking ↔ lending app API integration" in body
    assert "⚑ no owner" in body and "no escalation path" in body
    assert "OBJ-1" in body and "Mobile loan origination" in body
    assert "1,000" in body
    assert "No bottleneck matches" in client.get("/bottlenecks/?team=team-b").content.decode()

    exported = client.get("/bottlenecks/?format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["root_cause"] == "api"
    assert rows[0]["owner"] == "NO OWNER"
    assert rows[0]["objectives_blocked"] == "OBJ-1"
    assert rows[0]["value_at_risk_per_week"] == "1000.00"


def test_the_map_csv_button_downloads_csv_for_the_same_filters(
    people: dict[str, Any], lending: Any
) -> None:
    """It linked to /map/table/?%7B%7Dformat=csv on first load and returned HTML."""
    import re
    from urllib.parse import parse_qs, urlsplit

    client = _client(people["member"])
    for url, expected in (
        ("/map/", "/map/table/?format=csv"),
        ("/map/?team=team-a&view=all", "/map/table/?view=all&team=team-a&format=csv"),
    ):
        page = client.get(url).content.decode()
        href = re.search(r'href="([^"]*)" id="map-csv"', page).group(1).replace("&amp;", "&")
        assert urlsplit(href).path == urlsplit(expected).path
        assert parse_qs(urlsplit(href).query) == parse_qs(urlsplit(expected).query)
        response = client.get(href)
        assert response["Content-Type"].startswith("text/csv")
        assert response.content.decode().startswith("type,item,")


def test_blocked_table_csv_guards_against_formulas(people: dict[str, Any], lending: Any) -> None:
    Node.objects.filter(slug="api").update(name="=HYPERLINK(1)")
    body = _client(people["member"]).get("/map/table/?format=csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["item"] for r in rows} == {"OBJ-1", "cap"}
    assert all(r["blocked_by_name"] == "'=HYPERLINK(1)" for r in rows)


def test_dashboard(people: dict[str, Any], lending: Any) -> None:
    body = _client(people["leadership"]).get("/dashboard/").content.decode()
    assert "Value at risk now" in body and "$1,000" in body
    assert "Open escalations" in body  # counted where recorded, "not tracked yet" elsewhere
    assert "No ITSM connector is configured yet" not in body  # the ticket's connector exists
    assert "never synced" in body
    assert "Core banking ↔ lending app API integration" in body  # blocked longest
    # OBJ-1 has never had a status update: the page must not claim every objective has one.
    assert "Every objective has a status update within its cadence" not in body
    assert "1 objective has had no status update yet" in body


def test_dashboard_lists_overdue_updates_by_the_objectives_rule(
    people: dict[str, Any], lending: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from objectives.models import Objective
    from objectives.services import status_update_create

    objective = Objective.objects.get(key="OBJ-1")
    Objective.objects.filter(pk=objective.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    body = _client(people["leadership"]).get("/dashboard/").content.decode()
    assert "OBJ-1" in body.split("Status updates overdue</h2>")[1]
    status_update_create(
        objective=objective, actor=people["lead_a"], rag="red", summary="Blocked on the API"
    )
    body = _client(people["leadership"]).get("/dashboard/").content.decode()
    assert "Every objective has a status update within its cadence" in body


def test_whatif_page(people: dict[str, Any], lending: Any) -> None:
    client = _client(people["member"])
    fixed = client.get("/whatif/?unblock=api").content.decode()
    assert "OBJ-1" in fixed and "-$1,000" in fixed
    failed = client.get("/whatif/?block=ledger", HTTP_HX_REQUEST="true").content.decode()
    assert "No objective would change state" in failed  # already blocked
    assert "No such node: ghost." in client.get("/whatif/?block=ghost").content.decode()
    assert "Cannot both" in client.get("/whatif/?block=api&unblock=api").content.decode()


def test_whatif_picker_finds_nodes_by_name(people: dict[str, Any], lending: Any) -> None:
    """Nobody has to type slugs: search by name, pick, and the result follows."""
    client = _client(people["member"])
    found = client.get("/whatif/?q=core+banking").content.decode()
    # The blocked root cause is offered as a fix; a healthy node as a failure.
    assert 'name="unblock" value="api"' in found
    assert 'name="block" value="ledger"' not in found  # "Core ledger" does not match
    ledger = client.get("/whatif/?q=ledger&unblock=api").content.decode()
    assert 'name="block" value="ledger"' in ledger
    assert 'type="hidden" name="unblock" value="api"' in ledger  # the pick is kept
    assert "Core banking ↔ lending app API integration</strong> is fixed" in ledger
    assert "-$1,000" in ledger
    fragment = client.get("/whatif/?part=picker&q=lend", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="whatif-picker"') and "<html" not in fragment
    assert "No dependency or capability matches" in client.get("/whatif/?q=zzz").content.decode()
    assert client.get("/whatif/?q=%00").status_code == 400  # refused before any lookup


def test_single_points_of_failure_page(people: dict[str, Any], lending: Any) -> None:
    Node.objects.filter(slug="api").update(manual_state="")
    impact_recompute(force=True)
    client = _client(people["member"])
    body = client.get("/single-points-of-failure/").content.decode()
    assert "Core ledger" in body and "OBJ-1" in body
    assert "/whatif/?block=ledger" in body
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/single-points-of-failure/?format=csv").content.decode())
        )
    )
    assert {r["node"] for r in rows} == {"cap", "api", "ledger"}


def test_empty_states_are_helpful(people: dict[str, Any]) -> None:
    client = _client(people["leadership"])
    assert "seed_demo" in client.get("/map/?view=all").content.decode()
    assert "Nothing is blocked or degraded" in client.get("/map/").content.decode()
    assert "No bottlenecks" in client.get("/bottlenecks/").content.decode()
    assert "No ITSM connector is configured yet" in client.get("/dashboard/").content.decode()
    assert "No single point of failure" in (
        client.get("/single-points-of-failure/").content.decode()
    )


def _grow(people: dict[str, Any], start: int, count: int) -> None:
    """`count` more blocked chains: objective → capability → blocked service with a ticket."""
    for i in range(start, start + count):
        team = people["team_a"] if i % 2 else people["team_b"]
        service = NodeFactory(
            slug=f"svc-{i}", manual_state="blocked", manual_reason="down", team=team
        )
        capability = NodeFactory(
            slug=f"cap-{i}", kind="capability", team=team, owner=people["lead_a"]
        )
        Edge.objects.create(source=capability, target=service)
        objective = ObjectiveFactory(team=team, owner=people["lead_b"], value_at_stake=10 + i)
        objective.requirements.create(node=capability)
        link_ticket(service, url=f"https://jira.example/browse/LEND-{i}")
    impact_recompute(force=True)


@pytest.mark.parametrize(
    "url",
    [
        "/map/",
        "/map/?view=all&team=team-a",
        "/map/?objective=OBJ-1&q=o",
        "/map/graph.json?view=all",
        "/map/table/",
        "/map/table/?format=csv",
        "/bottlenecks/",
        "/bottlenecks/?format=csv",
        "/dashboard/",
        "/single-points-of-failure/",
        "/map/nodes/api/",
        "/map/objectives/OBJ-1/",
        "/whatif/?block=ledger",
    ],
)
def test_query_count_does_not_grow_with_the_organisation(
    url: str, people: dict[str, Any], lending: Any
) -> None:
    client = _client(people["leadership"])

    def count() -> int:
        forget_cache()
        forget_map_cache()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _grow(people, 0, 3)
    count()  # warm up: roles and content types are cached once
    few = count()
    _grow(people, 3, 25)
    assert count() == few


def test_grouped_map_query_count_does_not_grow(people: dict[str, Any], lending: Any) -> None:
    def count() -> int:
        forget_map_cache()
        with CaptureQueriesContext(connection) as ctx:
            graph = map_graph(MapFilters(view="all", expand=("team-b",)), budget=5)
        assert graph.mode == "grouped"
        return len(ctx.captured_queries)

    _grow(people, 0, 3)
    few = count()
    _grow(people, 3, 25)
    assert count() == few
