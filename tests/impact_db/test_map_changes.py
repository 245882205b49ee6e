"""`GET /api/map/?since=<ETag>`: what changed since the map a client holds.

A client that merges each answer into the map it holds, as the API's description says,
holds exactly the whole map after every change, whatever the view and filters."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dependencies.graph.changes import impact_changed
from dependencies.graph.services import edge_delete
from dependencies.map.drawing import forget_map_cache
from dependencies.models import Edge, Node
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.organisations import random_organisation

# Transactional: a change is noted for the recompute when its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_caches():  # type: ignore[no-untyped-def]
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


def _change_some(nodes: list[Node], rng: random.Random) -> None:
    """Some nodes blocked, degraded or fixed by hand, as a ticket would (not audited)."""
    changed = rng.sample(nodes, 3)
    for node in changed:
        Node.objects.filter(pk=node.pk).update(
            manual_state=rng.choice(["", "", "blocked", "degraded"])
        )
    impact_changed(nodes=[n.pk for n in changed], reason="test")
    impact_recompute()


def _merged(held: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` applied to `held`, as a client does."""
    nodes = {n["slug"]: n for n in held["nodes"]}
    for slug in changes["left"]["nodes"]:
        nodes.pop(slug, None)
    nodes.update((n["slug"], n) for n in changes["nodes"])
    edges = {
        (e["source"], e["target"]): e
        for e in held["edges"]
        if e["source"] in nodes and e["target"] in nodes
    }
    edges.update(((e["source"], e["target"]), e) for e in changes["edges"])
    objectives = {o["key"]: o for o in held["objectives"]}
    for key in changes["left"]["objectives"]:
        objectives.pop(key, None)
    objectives.update((o["key"], o) for o in changes["objectives"])
    whole = {k: v for k, v in changes.items() if k not in ("left", "changes_since")}
    return whole | {
        "nodes": list(nodes.values()),
        "edges": list(edges.values()),
        "objectives": list(objectives.values()),
    }


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A map with its lists in one order (the API orders by the database's collation)."""
    return body | {
        "nodes": sorted(body["nodes"], key=lambda n: n["slug"]),
        "edges": sorted(body["edges"], key=lambda e: (e["source"], e["target"])),
        "objectives": sorted(body["objectives"], key=lambda o: o["key"]),
    }


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("query", ["", "view=all", "team=team-1", "kind=capability"])
def test_changes_merged_into_the_held_map_make_the_whole_map(
    seed: int, query: str, client_as: Any, recompute_left_to_the_test: None
) -> None:
    nodes = random_organisation(seed)
    rng = random.Random(seed)
    client = client_as("member")
    url = f"/api/map/?{query}"
    first = client.get(url)
    held, etag = first.json(), first["ETag"]
    moved = 0
    for _ in range(6):
        _change_some(nodes, rng)
        answer = client.get(f"{url}&since={etag}", HTTP_IF_NONE_MATCH=etag)
        if answer.status_code == 304:  # nothing this view shows changed version
            continue
        assert answer.status_code == 200
        changes = answer.json()
        assert changes["changes_since"] == held["version"]
        moved += len(changes["nodes"]) + len(changes["left"]["nodes"])
        whole = client.get(url).json()
        assert _comparable(_merged(held, changes)) == _comparable(whole)
        held, etag = whole, answer["ETag"]
    assert moved  # the scenario did move items in and out of the map


def test_changes_name_only_what_changed(
    lending: Any, client_as: Any, recompute_left_to_the_test: None
) -> None:
    client = client_as("member")
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_changed(nodes=[lending[0]["ledger"].pk], reason="test")
    impact_recompute()
    first = client.get("/api/map/")
    assert {n["slug"] for n in first.json()["nodes"]} == {"cap", "api", "ledger"}

    # The app degraded: the capability above it was blocked already and stays so, with the
    # same root causes; only the app changed.
    Node.objects.filter(slug="app").update(manual_state="degraded")
    impact_changed(nodes=[lending[0]["app"].pk], reason="test")
    impact_recompute()
    changes = client.get(f"/api/map/?since={first['ETag']}").json()
    assert [n["slug"] for n in changes["nodes"]] == ["app"]
    assert changes["edges"] == [
        {
            "source": "cap",
            "target": "app",
            "criticality": "soft",
            "redundancy_group": "",
            "min_operational": 1,
        }
    ]
    assert changes["left"] == {"nodes": [], "objectives": []}

    # The ledger fixed: everything above it leaves the affected view.
    Node.objects.filter(slug__in=["ledger", "app"]).update(manual_state="")
    impact_changed(nodes=[n.pk for n in lending[0].values()], reason="test")
    impact_recompute()
    changes = client.get(f"/api/map/?since={first['ETag']}").json()
    assert changes["nodes"] == [] and changes["edges"] == []
    assert sorted(changes["left"]["nodes"]) == ["api", "app", "cap", "ledger"]
    assert changes["left"]["objectives"] == ["OBJ-1"]


@pytest.fixture
def ledger_blocked(lending: Any, recompute_left_to_the_test: None) -> Any:
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    return lending


def test_the_whole_map_when_the_graph_changed_shape_since(
    ledger_blocked: Any, client_as: Any
) -> None:
    client = client_as("member")
    first = client.get("/api/map/")
    edge_delete(edge=Edge.objects.get(source__slug="cap", target__slug="api"), actor=None)
    impact_recompute()
    answer = client.get(f"/api/map/?since={first['ETag']}").json()
    assert answer["changes_since"] is None
    assert {n["slug"] for n in answer["nodes"]} == {"api", "ledger"}  # whole: cap is fine now
    assert "left" not in answer


def test_the_whole_map_for_an_objective_or_another_filter(
    ledger_blocked: Any, client_as: Any
) -> None:
    client = client_as("member")
    mine = client.get("/api/map/?objective=OBJ-1")["ETag"]
    answer = client.get(f"/api/map/?objective=OBJ-1&since={mine}").json()
    assert answer["changes_since"] is None and len(answer["nodes"]) == 3
    # The ETag of another view's map does not describe what this view holds.
    other = client.get("/api/map/?view=all")["ETag"]
    assert client.get(f"/api/map/?since={other}").json()["changes_since"] is None


@pytest.mark.parametrize("token", ["41", "map-1-2", '"mapgraph-1-0-0-0a1b2c3d"', "map-x-0-0-0"])
def test_a_since_that_is_not_a_map_etag_is_a_400(token: str, client_as: Any, lending: Any) -> None:
    response = client_as("member").get("/api/map/", {"since": token})
    assert response.status_code == 400
    assert "ETag of the map you hold" in response.json()["since"][0]
