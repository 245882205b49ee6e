"""The map is read from one snapshot: a recompute storing new results between the map's
queries must not mix two versions in one answer (cataligent/snapshot.py).

Found at 250,000 nodes: `GET /api/map/` read the affected nodes, then the edges leaving
them; a recompute committing in between made a node newly affected whose edge led to a node
already read, and the payload failed on it (a 500). Here the recompute runs for real, on
its own connection, between two of the map's queries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from dependencies.map import drawing, payload
from dependencies.map.drawing import forget_map_cache
from dependencies.models import Edge, ImpactState, Node
from dependencies.recompute.runner import impact_recompute

pytestmark = pytest.mark.django_db(transaction=True)


def _committed_meanwhile(change: Callable[[], None]) -> None:
    """Run `change` and a recompute on another connection, committed before returning."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            change()
            impact_recompute(force=True)
        except BaseException as error:  # re-raised in the test's thread
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.fixture
def ledger_blocked(lending: Any) -> Any:
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    forget_map_cache()
    return lending


def test_api_map_reads_one_version_while_a_recompute_stores_another(
    ledger_blocked: Any, client_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = ImpactState.objects.get(pk=1).version
    read_edges = payload._edges_from

    def a_node_newly_blocked_above_the_ledger() -> None:
        outage = Node.objects.create(
            slug="batch", name="Batch", kind="service", manual_state="blocked"
        )
        Edge.objects.create(source=outage, target=Node.objects.get(slug="ledger"))

    def edges_after_a_recompute(nodes: Any) -> Any:
        _committed_meanwhile(a_node_newly_blocked_above_the_ledger)
        return read_edges(nodes)

    monkeypatch.setattr(payload, "_edges_from", edges_after_a_recompute)
    response = client_as("member").get("/api/map/")

    assert response.status_code == 200
    body = response.json()
    # All of it as the version it says it is: before the recompute that ran meanwhile.
    assert body["version"] == version
    assert {n["slug"]: n["state"] for n in body["nodes"]} == {
        "cap": "blocked",
        "api": "blocked",
        "ledger": "blocked",
    }
    assert {(e["source"], e["target"]) for e in body["edges"]} == {
        ("cap", "api"),
        ("api", "ledger"),
    }
    assert [(o["key"], o["state"]) for o in body["objectives"]] == [("OBJ-1", "blocked")]

    # The next read shows the new version whole.
    monkeypatch.setattr(payload, "_edges_from", read_edges)
    after = client_as("member").get("/api/map/").json()
    assert after["version"] > version
    assert ("batch", "ledger") in {(e["source"], e["target"]) for e in after["edges"]}


def test_map_page_draws_one_version_while_a_recompute_stores_another(
    ledger_blocked: Any, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's narrowed map reads what it shows, then the rows to draw: a recompute in
    between drew the rows of the next version under this one's totals and ETag."""
    version = ImpactState.objects.get(pk=1).version
    reach = drawing.reach

    def ledger_fixed() -> None:
        Node.objects.filter(slug="ledger").update(manual_state="")

    def reach_after_a_recompute(start: Any, adjacency: Any) -> Any:
        _committed_meanwhile(ledger_fixed)
        return reach(start, adjacency)

    monkeypatch.setattr(drawing, "reach", reach_after_a_recompute)
    client = Client()
    client.force_login(people["member"])
    response = client.get("/map/graph.json?kind=capability")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == version
    states = {n["data"]["slug"]: n["data"]["state"] for n in body["elements"]["nodes"]}
    assert states == {"cap": "blocked", "api": "blocked", "ledger": "blocked"}
    assert ImpactState.objects.get(pk=1).version > version  # the recompute did store
