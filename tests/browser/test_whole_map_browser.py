"""The whole map, readable on open (issue 18): operational items folded into tiles that open
on a click, lanes by layer, labels that follow the zoom, and Find; on the demo story, in
a real browser at 1440 by 900."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    click_node,
    node_data,
    save_artifact,
    sign_in,
    wait_for_map,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYMENTS_DEPENDENCIES = "c:dependency:Payments"  # gateway, card processor, SEPA, SWIFT
AFFECTED = [
    "o:OBJ-1",
    "o:OBJ-7",
    "o:OBJ-11",
    "o:OBJ-12",
    "n:core-banking-lending-api",
    "n:credit-decisioning",
    "n:loan-disbursement",
    "n:mobile-loan-origination",
    "n:wealth-advisory",
    "n:portfolio-engine",
    "n:market-data-feed",
]

DRAWN = """() => {
  const cy = window.cataligentMap.cy;
  const rect = document.getElementById('cy').getBoundingClientRect();
  return {
    zoom: cy.zoom(),
    scale: window.cataligentMap.scale(),
    width: rect.width,
    height: rect.height,
    box: cy.elements().renderedBoundingBox(),
    lanes: cy.nodes('.lane').map(n => n.data('layer')),
    nodes: cy.nodes().not('.lane').map(n => ({
      id: n.id(),
      type: n.data('type'),
      layer: n.data('layer') || n.data('type'),
      state: n.data('state'),
      label: n.style('label'),
      px: parseFloat(n.style('font-size')) * cy.zoom(),
      x1: n.boundingBox({includeLabels: false}).x1,
      x2: n.boundingBox({includeLabels: false}).x2,
      rendered: n.renderedPosition(),
    })),
  };
}"""


def _open_whole_map(page: Any, base_url: str) -> dict[str, Any]:
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, base_url, "leader")
    page.goto(f"{base_url}/map/?view=all")
    wait_for_map(page)
    wait_until(page, "window.cataligentMap.cy.nodes('.lane').length === 3")
    return page.evaluate(DRAWN)


def _by_id(drawn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in drawn["nodes"]}


def _assert_lanes_in_order(drawn: dict[str, Any]) -> None:
    """Objectives left of capabilities left of dependencies, no tile straddling two lanes."""
    spans = {}
    for layer in ("objective", "capability", "dependency"):
        mine = [n for n in drawn["nodes"] if n["layer"] == layer]
        assert mine, layer
        spans[layer] = (min(n["x1"] for n in mine), max(n["x2"] for n in mine))
    assert spans["objective"][1] < spans["capability"][0], spans
    assert spans["capability"][1] < spans["dependency"][0], spans
    assert drawn["lanes"] == ["objective", "capability", "dependency"]


def test_the_whole_map_opens_readable_folded_and_in_lanes(demo: Any, page: Any) -> None:
    drawn = _open_whole_map(page, demo.url)
    nodes = _by_id(drawn)
    save_artifact(page, "map-whole.png")

    # Everything wrong is drawn item by item; what is fine is folded into counted tiles.
    assert set(AFFECTED) <= set(nodes)
    assert "n:payment-gateway" not in nodes
    payments = node_data(page, PAYMENTS_DEPENDENCIES)
    assert payments["count"] == 4 and payments["state"] == "operational"
    assert "n:payment-gateway" in payments["members"]
    assert payments["label"].startswith("● OPERATIONAL · 4 DEPENDENCIES\nPayments")
    assert len(nodes) <= 36, len(nodes)  # 55 items in the demo

    # Readable on open: every drawn tile is labelled, in type of 10 px or more on screen...
    for node in drawn["nodes"]:
        assert node["label"].strip(), node["id"]
        assert node["px"] >= 10, (node["id"], node["px"], drawn["zoom"])
    # ...and nothing is cut off at the window's edges.
    box = drawn["box"]
    assert box["x1"] >= 0 and box["y1"] >= 0, box
    assert box["x2"] <= drawn["width"] and box["y2"] <= drawn["height"], box

    _assert_lanes_in_order(drawn)
    # What is wrong reads along the top: the blocked chain is the first row.
    top_row = min(drawn["nodes"], key=lambda n: (n["rendered"]["y"], n["rendered"]["x"]))
    assert top_row["state"] != "operational", top_row


def test_semantic_zoom_full_labels_close_names_further_shapes_as_specks(
    demo: Any, page: Any
) -> None:
    _open_whole_map(page, demo.url)

    def labels_at(zoom: float) -> dict[str, Any]:
        # A block body: cy.zoom(z) returns the Cytoscape core, which Playwright would copy
        # whole as the result (gigabytes once the renderer's caches are warm).
        page.evaluate("(z) => { window.cataligentMap.cy.zoom(z); }", zoom)
        return _by_id(page.evaluate(DRAWN))

    near = labels_at(1.2)["n:core-banking-lending-api"]
    assert near["label"].startswith("■ BLOCKED · ROOT CAUSE") and "NO OWNER" in near["label"]
    names = labels_at(0.6)
    assert names["n:core-banking-lending-api"]["label"].startswith("■ Core banking")
    assert "OWNER" not in names["n:core-banking-lending-api"]["label"]
    assert all(n["px"] >= 10 for n in names.values())
    further = labels_at(0.4)
    assert all(n["px"] >= 10 and len(n["label"].splitlines()) <= 2 for n in further.values())
    specks = labels_at(0.2)
    assert all(n["label"] == "" for n in specks.values())


def test_a_folded_tile_opens_on_click_and_folds_again(demo: Any, page: Any) -> None:
    _open_whole_map(page, demo.url)
    click_node(page, PAYMENTS_DEPENDENCIES)
    wait_until(page, "window.cataligentMap.cy.getElementById('n:payment-gateway').nonempty()")
    drawn = page.evaluate(DRAWN)
    nodes = _by_id(drawn)
    assert PAYMENTS_DEPENDENCIES not in nodes
    for slug in ("payment-gateway", "card-processor", "sepa-instant-link", "swift-link"):
        assert nodes[f"n:{slug}"]["layer"] == "dependency"
    _assert_lanes_in_order(drawn)
    # The opened items are in view and the first is the current one.
    gateway = nodes["n:payment-gateway"]["rendered"]
    assert 0 <= gateway["x"] <= drawn["width"] and 0 <= gateway["y"] <= drawn["height"]
    save_artifact(page, "map-whole-opened.png")

    page.locator("#map-notes button.fold-again", has_text="Payments").click()
    wait_until(page, "window.cataligentMap.cy.getElementById('n:payment-gateway').empty()")
    assert node_data(page, PAYMENTS_DEPENDENCIES)["count"] == 4


def test_folding_by_kind_or_showing_every_item(demo: Any, page: Any) -> None:
    _open_whole_map(page, demo.url)
    page.select_option("#map-fold-by", "kind")
    wait_until(page, "window.cataligentMap.cy.getElementById('c:dependency:vendor').nonempty()")
    vendors = node_data(page, "c:dependency:vendor")
    assert vendors["label"].splitlines()[1] == "Vendor"
    assert node_data(page, "c:objective:objective")["count"] == 8  # the operational ones
    _assert_lanes_in_order(page.evaluate(DRAWN))

    page.select_option("#map-fold-by", "none")
    wait_until(page, "window.cataligentMap.cy.getElementById('n:payment-gateway').nonempty()")
    drawn = page.evaluate(DRAWN)
    assert len(drawn["nodes"]) == 55
    assert not [n for n in drawn["nodes"] if n["type"] == "collapsed"]
    _assert_lanes_in_order(drawn)
    for node in drawn["nodes"]:  # fitted at a zoom where the names still read
        assert node["label"].strip() == "" or node["px"] >= 10, node


def test_find_centres_an_item_opening_its_tile(demo: Any, page: Any) -> None:
    _open_whole_map(page, demo.url)
    page.fill("#map-find-q", "payment gate")
    page.press("#map-find-q", "Enter")
    wait_until(page, "window.cataligentMap.cy.$('node.current').id() === 'n:payment-gateway'")
    drawn = page.evaluate(DRAWN)
    gateway = _by_id(drawn)["n:payment-gateway"]
    assert gateway["rendered"]["x"] == pytest.approx(drawn["width"] / 2, abs=2)
    assert gateway["rendered"]["y"] == pytest.approx(drawn["height"] / 2, abs=2)
    # Zoomed in to where its full label reads, and its details are in the side panel.
    assert drawn["scale"] == "full"
    assert "owner" in gateway["label"] and gateway["px"] >= 10
    page.locator("#panel [data-item-id='n:payment-gateway']").wait_for()

    # By an objective's key, picked from the suggestions.
    options = page.locator("#map-find-list option").evaluate_all("os => os.map(o => o.value)")
    assert "OBJ-9 Open banking partner programme" in options and "Payment gateway" in options
    page.fill("#map-find-q", "obj-9")
    page.press("#map-find-q", "Enter")
    wait_until(page, "window.cataligentMap.cy.$('node.current').id() === 'o:OBJ-9'")

    page.fill("#map-find-q", "no such thing")
    page.press("#map-find-q", "Enter")
    wait_until(
        page, "document.getElementById('map-announce').textContent.includes('Nothing called')"
    )


def test_what_if_opens_the_tiles_of_what_would_change(demo: Any, page: Any) -> None:
    _open_whole_map(page, demo.url)
    page.click("[data-action=whatif]")
    page.fill("#map-find-q", "Payment gateway")
    page.press("#map-find-q", "Enter")
    wait_until(page, "window.cataligentMap.cy.getElementById('n:payment-gateway').nonempty()")
    page.focus("#cy")
    page.keyboard.press("w")  # pick the current item
    assert page.evaluate("window.cataligentMap.picked()") == ["n:payment-gateway"]
    page.click("[data-action=whatif-run]")
    page.locator("#panel .whatif").wait_for()
    # OBJ-2 was folded with the other operational Payments objective: now drawn and marked.
    wait_until(page, "window.cataligentMap.cy.getElementById('o:OBJ-2').nonempty()")
    assert "whatif-hit" in node_data(page, "o:OBJ-2")["classes"]
    notes = page.locator("#map-notes li", has_text="What-if:")
    assert notes.count() == 1, notes.all_inner_texts()


def test_the_affected_view_is_drawn_as_before(demo: Any, page: Any) -> None:
    """As before issue 18; and, on that page, the functions behind the whole map on graphs
    made up here."""
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, demo.url, "leader")
    wait_for_map(page)
    drawn = page.evaluate(DRAWN)
    assert sorted(n["id"] for n in drawn["nodes"]) == sorted(AFFECTED)
    assert drawn["lanes"] == [] and drawn["scale"] == "full"
    assert page.locator("#map-whole-tools").is_hidden()  # Find and folding: whole map only
    assert not page.evaluate("document.getElementById('map-app').classList.contains('whole-map')")
    for node in drawn["nodes"]:
        assert "owner" in node["label"].lower() or "NO OWNER" in node["label"]

    # The functions behind the whole map, on graphs made up here.
    result = page.evaluate(
        """() => {
      const o = window.cataligentMapOverview;
      const n = (id, type, state, team, kind) => ({data: {id, type, state, team, kind: kind || type,
        name: id, owner: id === 'd3' ? '' : 'x'}});
      const e = (s, t, extra) => ({data: Object.assign({id: s + '>' + t, source: s, target: t,
        criticality: 'hard', carries: false, state: 'operational'}, extra || {})});
      const elements = {
        nodes: [n('o1', 'objective', 'blocked', 'A'), n('o2', 'objective', 'operational', 'A'),
                n('c1', 'capability', 'blocked', 'A'), n('c2', 'capability', 'operational', 'B'),
                n('d1', 'dependency', 'operational', 'B', 'vendor'),
                n('d2', 'dependency', 'operational', 'B', 'service'),
                n('d3', 'dependency', 'operational', 'B', 'service')],
        edges: [e('o1', 'c1', {carries: true, state: 'blocked'}), e('o2', 'c2'), e('c1', 'd1'),
                e('c1', 'd2', {criticality: 'soft'}), e('c2', 'd2'), e('d2', 'd3')],
      };
      const ids = (r) => r.elements.nodes.map(x => x.data.id).sort();
      const byTeam = o.fold(elements, {by: 'team'});
      const byKind = o.fold(elements, {by: 'kind'});
      const opened = o.fold(elements, {by: 'team', open: new Set(['c:dependency:B'])});
      const placed = o.lanes(
        [{id: 'o1', layer: 'objective', state: 'blocked', x: 0, y: 0},
         {id: 'd9', layer: 'dependency', state: 'operational', x: 300, y: 0},
         {id: 'c1', layer: 'capability', state: 'blocked', x: 300, y: 100},
         {id: 'c2', layer: 'capability', state: 'operational', x: 300, y: -100}],
        [['o1', 'c1']],
        {width: 200, height: 80, columnGap: 50, rowGap: 10, laneGap: 30, padding: 10});
      return {
        team: ids(byTeam),
        teamEdges: byTeam.elements.edges.map(
          x => [x.data.id, x.data.count || 1, x.data.criticality]),
        unowned: byTeam.groups.map(g => [g.id, g.unowned]),
        kind: ids(byKind),
        opened: [ids(opened), opened.opened.map(g => g.id), opened.groupOf.d1],
        positions: placed.positions,
        lanes: placed.lanes.map(l => [l.layer, l.x1 < l.x2]),
      };
    }"""
    )
    # A tile of one is just the item (o2, c2); B's three dependencies fold into one tile, whose
    # links from c1 merge (hard wins over soft) and whose link inside (d2 → d3) goes away.
    assert result["team"] == ["c1", "c2", "c:dependency:B", "o1", "o2"]
    assert sorted(result["teamEdges"]) == [
        ["m:c1>c:dependency:B", 2, "hard"],
        ["m:c2>c:dependency:B", 1, "hard"],
        ["o1>c1", 1, "hard"],
        ["o2>c2", 1, "hard"],
    ]
    assert result["unowned"] == [["c:dependency:B", 1]]
    assert result["kind"] == ["c1", "c2", "c:dependency:service", "d1", "o1", "o2"]
    assert result["opened"] == [
        ["c1", "c2", "d1", "d2", "d3", "o1", "o2"],
        ["c:dependency:B"],
        "c:dependency:B",
    ]
    # The dependency the layout put beside the capabilities goes to its own lane, right of
    # them; the blocked capability packs first in its column.
    p = result["positions"]
    assert p["o1"]["x"] < p["c1"]["x"] == p["c2"]["x"] < p["d9"]["x"]
    assert p["c1"]["y"] < p["c2"]["y"]
    assert result["lanes"] == [["objective", True], ["capability", True], ["dependency", True]]
