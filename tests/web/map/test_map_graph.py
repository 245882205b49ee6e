"""The map: what blocks what, its graph JSON, filters, grouping by team, and its CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from dependencies.map.drawing import map_graph
from dependencies.map.query import MapFilters
from dependencies.models import Node
from dependencies.recompute.runner import impact_recompute
from tests.web.map.support import client_for

pytestmark = pytest.mark.django_db


def test_map_shows_what_blocks_what(people: dict[str, Any], lending: Any) -> None:
    body = client_for(people["leadership"]).get("/map/").content.decode()
    assert "1,000" in body  # value at risk per week
    table = body[body.index('id="map-table"') :]
    assert "OBJ-1 Launch digital lending" in table
    assert "Core banking ↔ lending app API integration" in table
    assert "⚑ no owner" in table
    assert "Core ledger" not in table  # operational: not a root cause
    assert 'src="/static/vendor/cytoscape.min.js"' in body
    assert "map-initial" in body


def test_graph_json_elements_and_conditional_get(people: dict[str, Any], lending: Any) -> None:
    client = client_for(people["member"])
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
    client = client_for(people["leadership"])
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


def test_the_map_csv_button_downloads_csv_for_the_same_filters(
    people: dict[str, Any], lending: Any
) -> None:
    """It linked to /map/table/?%7B%7Dformat=csv on first load and returned HTML."""
    import re
    from urllib.parse import parse_qs, urlsplit

    client = client_for(people["member"])
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
    body = client_for(people["member"]).get("/map/table/?format=csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["item"] for r in rows} == {"OBJ-1", "cap"}
    assert all(r["blocked_by_name"] == "'=HYPERLINK(1)" for r in rows)
