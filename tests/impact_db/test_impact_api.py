"""GET /api/map/, POST /api/whatif/, single points of failure, impact_report."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dependencies.map.drawing import forget_map_cache
from dependencies.models import Node
from dependencies.recompute.runner import impact_recompute
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def blocked(lending: Any) -> Any:
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    return lending


def test_affected_map_shows_blocked_items_with_root_causes(blocked: Any, client_as: Any) -> None:
    body = client_as("member").get("/api/map/").json()
    assert body["view"] == "affected"
    assert {n["slug"] for n in body["nodes"]} == {"cap", "api", "ledger"}
    cap = next(n for n in body["nodes"] if n["slug"] == "cap")
    assert cap["root_causes"] == ["ledger"]
    assert {(e["source"], e["target"]) for e in body["edges"]} == {
        ("cap", "api"),
        ("api", "ledger"),
    }
    assert body["objectives"][0]["key"] == "OBJ-1"
    assert body["objectives"][0]["requires"] == [{"node": "cap", "criticality": "hard"}]
    assert body["bottlenecks"][0]["node"] == "ledger"
    api = next(n for n in body["nodes"] if n["slug"] == "api")
    assert api["ownership_gaps"] == ["owner", "team", "escalation policy"]


def test_map_filters(blocked: Any, client_as: Any) -> None:
    client = client_as("member")
    assert len(client.get("/api/map/?view=all").json()["nodes"]) == 4
    by_team = client.get("/api/map/?view=all&team=team-a").json()
    assert {n["slug"] for n in by_team["nodes"]} == {"cap", "app"}
    capabilities = client.get("/api/map/?view=all&kind=capability").json()
    assert [n["slug"] for n in capabilities["nodes"]] == ["cap"]
    NodeFactory(slug="elsewhere")
    for_objective = client.get("/api/map/?view=all&objective=OBJ-1").json()
    assert {n["slug"] for n in for_objective["nodes"]} == {"cap", "api", "app", "ledger"}


def test_map_bad_query_is_a_400(client_as: Any, blocked: Any) -> None:
    response = client_as("member").get("/api/map/?view=everything&kind=spaceship")
    assert response.status_code == 400
    assert set(response.json()) == {"view", "kind"}


def test_map_conditional_request(blocked: Any, client_as: Any) -> None:
    client = client_as("member")
    first = client.get("/api/map/")
    etag = first["ETag"]
    assert client.get("/api/map/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    Node.objects.filter(slug="ledger").update(manual_state="")
    impact_recompute(force=True)
    assert client.get("/api/map/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_new_owner_is_not_hidden_behind_a_304(blocked: Any, client_as: Any, people: Any) -> None:
    """Owners change what the map says (ownership gaps) without a new impact version."""
    from dependencies.graph.services import node_update

    client = client_as("member")
    etag = client.get("/api/map/")["ETag"]
    node_update(
        node=Node.objects.get(slug="ledger"),
        changes={"owner": people["lead_a"]},
        actor=people["admin"],
    )
    response = client.get("/api/map/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    ledger = next(n for n in response.json()["nodes"] if n["slug"] == "ledger")
    assert ledger["owner"] == "lead_a"


def test_map_query_count_is_bounded(blocked: Any, client_as: Any) -> None:
    client = client_as("member")

    def count() -> int:
        forget_map_cache()  # a read of the database, not of the map's cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/map/?view=all").status_code == 200
        return len(ctx.captured_queries)

    count()  # warm up: the user's roles are read once and cached
    few = count()
    for i in range(40):
        NodeFactory(slug=f"more-{i}", manual_state="blocked")
    impact_recompute(force=True)
    assert count() == few


def test_the_api_and_the_page_share_one_cache_and_one_etag(blocked: Any, client_as: Any) -> None:
    """The map's reads are cached per stored result and audit marker; an unchanged map costs
    the API two small reads (the stored version and the audit marker)."""
    client = client_as("member")
    forget_map_cache()
    first = client.get("/api/v1/map/?view=all")
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/api/v1/map/?view=all")
    assert again.json() == first.json() and again["ETag"] == first["ETag"]
    assert len(ctx.captured_queries) <= 4  # session, user, stored version, audit marker
    page = Client()
    page.force_login(get_user_model().objects.get(username="member"))
    drawing = page.get("/map/graph.json?view=all")
    assert drawing["ETag"] != first["ETag"]  # two shapes of one map: same formula, two tags
    assert drawing["ETag"].split("-")[1:4] == first["ETag"].split("-")[1:4]


def test_the_api_refuses_a_bad_filter_naming_it(blocked: Any, client_as: Any) -> None:
    client = client_as("member")
    response = client.get("/api/v1/map/?view=everything")
    assert response.status_code == 400 and "view" in response.json()
    assert client.get("/api/v1/map/?kind=spaceship").json().keys() == {"kind"}


def test_whatif(blocked: Any, client_as: Any) -> None:
    client = client_as("member")
    fixed = client.post("/api/whatif/", {"unblock": ["ledger"]}, format="json").json()
    assert fixed["objectives"] == [{"key": "OBJ-1", "from": "blocked", "to": "operational"}]
    assert fixed["value_at_risk_delta"] == "-1000.00"
    assert {"slug": "cap", "from": "blocked", "to": "operational"} in fixed["nodes"]
    assert fixed["capabilities"] == ["cap"]
    nothing = client.post("/api/whatif/", {"block": ["app"]}, format="json").json()
    assert nothing["objectives"] == []  # already blocked by the ledger
    assert Node.objects.get(slug="ledger").state == "blocked"  # what-if writes nothing


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"block": ["ghost"]}, "block"),
        ({"unblock": ["ghost"]}, "unblock"),
        ({}, "block"),
        ({"block": ["app"], "unblock": ["app"]}, "unblock"),
        ({"block": "app"}, "block"),
    ],
)
def test_whatif_bad_input(blocked: Any, client_as: Any, payload: Any, field: str) -> None:
    response = client_as("member").post("/api/whatif/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_whatif_needs_sign_in(blocked: Any, client_as: Any) -> None:
    assert (
        client_as("anonymous").post("/api/whatif/", {"block": ["app"]}, format="json").status_code
        == 401
    )


def test_single_points_of_failure(lending: Any, client_as: Any) -> None:
    impact_recompute(force=True)
    body = client_as("member").get("/api/single-points-of-failure/").json()
    spofs = {p["node"]: p for p in body["results"]}
    # The soft edge to the app cannot block; the chain through the API can.
    assert set(spofs) == {"cap", "api", "ledger"}
    assert spofs["ledger"]["objectives"] == ["OBJ-1"]


def test_impact_report_json_matches_the_api(blocked: Any, client_as: Any) -> None:
    out = io.StringIO()
    call_command("impact_report", "--json", stdout=out)
    assert json.loads(out.getvalue()) == client_as("member").get("/api/map/?view=all").json()


def test_impact_report_table(blocked: Any) -> None:
    out = io.StringIO()
    call_command("impact_report", stdout=out)
    text = out.getvalue()
    assert "OBJ-1 Launch lending" in text
    assert "root causes: " in text
    assert "1,000/week at risk" in text


def test_node_api_shows_computed_state(blocked: Any, client_as: Any) -> None:
    body = client_as("member").get("/api/nodes/cap/").json()
    assert (body["state"], body["root_causes"]) == ("blocked", ["ledger"])
    assert body["blocked_since"]


def test_whatif_on_a_node_newer_than_the_last_recompute_is_a_400(
    blocked: Any, client_as: Any
) -> None:
    client = client_as("member")
    assert client.post("/api/whatif/", {"block": ["app"]}, format="json").status_code == 200
    NodeFactory(slug="brand-new")  # not yet in the computed result
    response = client.post("/api/whatif/", {"block": ["brand-new"]}, format="json")
    assert response.status_code == 400, response.content
    assert "block" in response.json()


def test_the_map_is_rendered_once_per_version(
    blocked: Any, client_as: Any, monkeypatch: Any
) -> None:
    """At 50,000 nodes the affected map is 18 MB of JSON: each client that asks for it gets
    the bytes rendered for the first, until the stored results change."""
    from dependencies.map import api

    forget_map_cache()
    renders = []
    render = api.render_json

    def counted(*args: Any) -> bytes:
        renders.append(1)
        return render(*args)

    monkeypatch.setattr(api, "render_json", counted)
    first = client_as("member").get("/api/map/")
    again = client_as("leadership").get("/api/map/")
    assert first.content == again.content and first["Content-Type"] == "application/json"
    assert len(renders) == 1
    Node.objects.filter(slug="ledger").update(manual_state="")
    impact_recompute(force=True)
    assert client_as("member").get("/api/map/").json()["nodes"] == []
    assert len(renders) == 2
    # The browsable API still answers a browser.
    page = client_as("member").get("/api/map/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


def test_the_map_s_edges_are_read_with_the_node_filter_not_a_list_of_ids(
    blocked: Any, client_as: Any
) -> None:
    """The edges between the nodes shown: the filter as a subquery, so the statement stays
    the same size however many nodes are affected (a list of 27,000 ids took longer to send
    than the join)."""

    def edge_statement() -> str:
        forget_map_cache()
        with CaptureQueriesContext(connection) as ctx:
            client_as("member").get("/api/map/")
        return next(q["sql"] for q in ctx.captured_queries if '"dependencies_edge"' in q["sql"])

    before = edge_statement()
    for i in range(20):
        NodeFactory(slug=f"down-{i}", manual_state="blocked", manual_reason="test")
    impact_recompute(force=True)
    after = edge_statement()
    assert len(after) == len(before)


def test_the_map_reads_no_join_over_the_node_table_for_edges_or_requirements(
    blocked: Any, client_as: Any
) -> None:
    """At 250,000 nodes a join of the edges or the requirements to the node table hashes
    or scans the whole table (0.4-0.6 s for a map of capabilities): the edges are probed by
    source with the node filter as an array, the requirements read bare and their slugs
    taken from the nodes already read. Each objective's requirements still come by slug."""
    nodes, objective = blocked
    objective.requirements.create(node=nodes["api"], criticality="soft")
    forget_map_cache()
    with CaptureQueriesContext(connection) as ctx:
        body = client_as("member").get("/api/map/").json()
    for query in ctx.captured_queries:
        sql = query["sql"]
        if "dependencies_edge" in sql or "objectives_requirement" in sql:
            assert "JOIN" not in sql, sql
    edges = next(q["sql"] for q in ctx.captured_queries if '"dependencies_edge"' in q["sql"])
    assert "= ANY(ARRAY(SELECT" in edges
    assert body["objectives"][0]["requires"] == [
        {"node": "api", "criticality": "soft"},
        {"node": "cap", "criticality": "hard"},
    ]


def test_the_map_json_is_byte_for_byte_what_drf_renders() -> None:
    """orjson makes the map's JSON; DRF's renderer is the reference (dates, decimals, U+2028,
    text beyond ASCII)."""
    import datetime as dt
    from decimal import Decimal

    from rest_framework.renderers import JSONRenderer

    from dependencies.map.api import render_json

    body = {
        "computed_at": dt.datetime(2026, 12, 7, 9, 30, 1, 123456, tzinfo=dt.UTC),
        "blocked_since": dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC),
        "value_at_risk": Decimal("1234567.50"),
        "nodes": [
            {"name": "Zahlungsverkehr \u2028 “Kern” ✓", "root_causes": ["a", "b"], "n": None}
        ],
        "edges": [],
    }
    renderer = JSONRenderer()
    assert render_json(body, renderer, "application/json", {}) == renderer.render(
        body, "application/json", {}
    )
    # Indented output is DRF's own.
    indented = render_json(body, renderer, "application/json; indent=2", {})
    assert indented == renderer.render(body, "application/json; indent=2", {})
