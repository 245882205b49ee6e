/* The whole map, made readable (issue 18): plain functions over the graph JSON, no Cytoscape.
 *
 * - `fold` keeps every affected item and folds the operational ones into one tile per layer
 *   and team (or kind): a whole map of 55 items becomes what is wrong plus a count of what is
 *   fine, and a click on a tile shows its items.
 * - `lanes` moves a layered drawing into lanes, objectives | capabilities | dependencies,
 *   whatever ranks the layout gave them, keeping its order inside each column.
 * - `labelScale` is semantic zoom: full labels when they are big enough to read, just the
 *   names in larger type when zoomed out, shapes alone when even those would be specks.
 *
 * map.js calls these; the browser tests call them too (window.cataligentMapOverview).
 */
(function () {
  "use strict";

  var LAYERS = ["objective", "capability", "dependency"];
  var LAYER_NAMES = {
    objective: ["objective", "objectives", "Objectives"],
    capability: ["capability", "capabilities", "Capabilities"],
    dependency: ["dependency", "dependencies", "Dependencies"],
  };
  var ICON = { blocked: "■", degraded: "▲", operational: "●" };
  var RANK = { operational: 0, degraded: 1, blocked: 2 };

  function layerOf(data) {
    return LAYERS.indexOf(data.type) >= 0 ? data.type : null;
  }

  function capitalised(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  // The tile an operational item folds into: one per layer and team, or per layer and kind
  // (a dependency's kind: vendor, service...; objectives and capabilities are one kind each).
  function foldKey(data, by) {
    if (by === "kind") return data.type === "dependency" ? data.kind || "other" : data.type;
    return data.team || "";
  }

  function foldTitle(key, layer, by) {
    if (by === "kind") return layer === "dependency" ? capitalised(key) : LAYER_NAMES[layer][2];
    return key || "No owning team";
  }

  function groupData(id, layer, key, members, by) {
    var title = foldTitle(key, layer, by);
    var words = LAYER_NAMES[layer];
    var what = members.length + " operational " + (members.length === 1 ? words[0] : words[1]);
    var unowned = members.filter(function (d) { return !d.owner; }).length;
    var flag = unowned ? " · ⚑ " + unowned + " no owner" : "";
    return {
      id: id,
      type: "collapsed",
      kind: "collapsed",
      layer: layer,
      fold: key,
      name: title + ": " + what,
      state: "operational",
      root: false,
      count: members.length,
      unowned: unowned,
      members: members.map(function (d) { return d.id; }),
      label: ICON.operational + " OPERATIONAL · " + what.toUpperCase().replace(" OPERATIONAL", "") +
        "\n" + title + "\nclick to show each" + flag,
      brief: ICON.operational + " " + title,
      tail: " · " + members.length + (unowned ? " ⚑" : ""),
    };
  }

  /* Which items to draw one by one, and the tiles the others fold into.
   *
   * elements: the graph JSON's elements ({nodes, edges}, "A depends on B" as source A,
   * target B). options.by: "team" or "kind"; options.open: ids of tiles the user opened.
   * Returns elements to draw (the same shape, edges to folded items redirected to their
   * tile and merged), the tiles, and for every foldable item the tile it belongs to.
   */
  function fold(elements, options) {
    var by = options.by === "kind" ? "kind" : "team";
    var open = options.open || new Set();
    var buckets = {};
    var order = [];
    elements.nodes.forEach(function (node) {
      var d = node.data;
      var layer = layerOf(d);
      if (!layer || d.state !== "operational") return;
      var id = "c:" + layer + ":" + foldKey(d, by);
      if (!buckets[id]) {
        buckets[id] = { layer: layer, key: foldKey(d, by), members: [] };
        order.push(id);
      }
      buckets[id].members.push(d);
    });

    var home = {}; // folded item id -> tile id
    var groupOf = {}; // foldable item id -> tile id, folded or open
    var groups = [];
    var opened = [];
    order.sort().forEach(function (id) {
      var bucket = buckets[id];
      // A tile of one says less than the item itself.
      if (bucket.members.length < 2) return;
      var data = groupData(id, bucket.layer, bucket.key, bucket.members, by);
      bucket.members.forEach(function (d) { groupOf[d.id] = id; });
      if (open.has(id)) {
        opened.push(data);
        return;
      }
      bucket.members.forEach(function (d) { home[d.id] = id; });
      groups.push(data);
    });

    var nodes = elements.nodes.filter(function (n) { return !home[n.data.id]; });
    groups.forEach(function (data) { nodes.push({ data: data }); });

    var edges = [];
    var merged = {};
    elements.edges.forEach(function (edge) {
      var d = edge.data;
      var source = home[d.source] || d.source;
      var target = home[d.target] || d.target;
      if (source === d.source && target === d.target) {
        edges.push(edge);
        return;
      }
      if (source === target) return; // inside one tile
      var id = "m:" + source + ">" + target;
      var link = merged[id];
      if (!link) {
        link = merged[id] = {
          data: {
            id: id,
            source: source,
            target: target,
            criticality: d.criticality,
            carries: !!d.carries,
            state: d.state,
            count: 0,
            folded: true,
          },
        };
        edges.push(link);
      }
      link.data.count += 1;
      if (d.criticality !== "soft") link.data.criticality = d.criticality;
      link.data.carries = link.data.carries || !!d.carries;
      if ((RANK[d.state] || 0) > (RANK[link.data.state] || 0)) link.data.state = d.state;
    });
    return { elements: { nodes: nodes, edges: edges }, groups: groups, opened: opened, groupOf: groupOf };
  }

  /* Lanes: objectives left of capabilities left of dependencies.
   *
   * items: [{id, layer, state, x, y}] as a layered layout placed them (its columns are its
   * x values). A layer keeps its own columns, in their order, but lanes never share one.
   * Each column is packed from the top (the layout spreads columns out to line tiles up,
   * which makes a whole map too tall to read in one window), what is blocked first, then
   * what is degraded, so that what is wrong reads along the top rows; inside that, a few barycentre
   * sweeps (each tile by the mean height of its neighbours in the column before, then
   * after) keep links short and crossings few. links: [[id, id]].
   * Returns {positions: {id: {x, y}}, lanes: [{layer, x1, x2, y1, y2, count, title}]}.
   */
  function lanes(items, links, o) {
    var pitch = o.width + o.columnGap;
    var xs = [];
    items.forEach(function (i) {
      var x = Math.round(i.x);
      if (xs.indexOf(x) < 0) xs.push(x);
    });
    xs.sort(function (a, b) { return a - b; });
    var column = {};
    var next = 0;
    var result = { positions: {}, lanes: [] };
    var offset = 0;
    LAYERS.concat([null]).forEach(function (layer) {
      var mine = items.filter(function (i) { return (i.layer || null) === layer; });
      if (!mine.length) return;
      var own = [];
      mine.forEach(function (i) {
        var c = xs.indexOf(Math.round(i.x));
        if (own.indexOf(c) < 0) own.push(c);
      });
      own.sort(function (a, b) { return a - b; });
      mine.forEach(function (i) {
        column[i.id] = next + own.indexOf(xs.indexOf(Math.round(i.x)));
        result.positions[i.id] = { x: column[i.id] * pitch + offset, y: i.y };
      });
      result.lanes.push({ layer: layer, first: next, last: next + own.length - 1, count: mine.length });
      next += own.length;
      offset += o.laneGap;
    });

    var columns = [];
    items.forEach(function (i) {
      (columns[column[i.id]] = columns[column[i.id]] || []).push(i.id);
    });
    var neighbours = {};
    links.forEach(function (pair) {
      if (column[pair[0]] === undefined || column[pair[1]] === undefined) return;
      (neighbours[pair[0]] = neighbours[pair[0]] || []).push(pair[1]);
      (neighbours[pair[1]] = neighbours[pair[1]] || []).push(pair[0]);
    });
    var step = o.height + o.rowGap;
    var y = function (id) { return result.positions[id].y; };
    var worst = {};
    var top = Infinity;
    items.forEach(function (i) {
      worst[i.id] = -(RANK[i.state] || 0);
      top = Math.min(top, i.y);
    });

    // Pack a column from the top: what is wrong first, then in the order of `wanted`.
    function pack(ids, wanted) {
      ids.sort(function (a, b) {
        return worst[a] - worst[b] || wanted[a] - wanted[b] || y(a) - y(b) || (a < b ? -1 : 1);
      });
      ids.forEach(function (id, k) {
        result.positions[id].y = top + k * step;
      });
    }

    function sweep(c, towards) {
      var wanted = {};
      columns[c].forEach(function (id) {
        var near = (neighbours[id] || []).filter(function (other) {
          return towards < 0 ? column[other] < c : column[other] > c;
        });
        wanted[id] = near.length
          ? near.reduce(function (sum, other) { return sum + y(other); }, 0) / near.length
          : y(id);
      });
      pack(columns[c], wanted);
    }

    // Columns are numbered 0..n-1 (see above), so a column's index is its number.
    columns.forEach(function (col) {
      var wanted = {};
      col.forEach(function (id) { wanted[id] = y(id); });
      pack(col, wanted);
    });
    for (var round = 0; round < 2; round += 1) {
      for (var c = 1; c < columns.length; c += 1) sweep(c, -1);
      for (var d = columns.length - 2; d >= 0; d -= 1) sweep(d, 1);
    }

    var ys = items.map(function (i) { return result.positions[i.id].y; });
    var upper = Math.min.apply(null, ys) - o.height / 2 - o.padding;
    var bottom = Math.max.apply(null, ys) + o.height / 2 + o.padding;
    var laneIndex = 0;
    result.lanes.forEach(function (lane) {
      var left = lane.first * pitch + laneIndex * o.laneGap;
      var right = lane.last * pitch + laneIndex * o.laneGap;
      lane.x1 = left - o.width / 2 - o.padding;
      lane.x2 = right + o.width / 2 + o.padding;
      lane.y1 = upper;
      lane.y2 = bottom;
      lane.title = lane.layer ? LAYER_NAMES[lane.layer][2] : "Other";
      laneIndex += 1;
    });
    return result;
  }

  /* Semantic zoom: how to label at this zoom so that text is at least 10 px on screen.
   * font is in model units (Cytoscape scales it by the zoom).
   */
  var SCALES = [
    { min: 0.85, level: "full", font: 12, lineHeight: 1.25, lane: 14 },
    { min: 0.55, level: "names", font: 19, lines: 3, lineHeight: 1.15, lane: 24 },
    { min: 0.45, level: "names", font: 23, lines: 3, lineHeight: 1.15, lane: 30 },
    { min: 0.36, level: "names", font: 29, lines: 2, lineHeight: 1.15, lane: 36 },
    { min: 0, level: "shapes", font: 29, lines: 0, lineHeight: 1.15, lane: 60 },
  ];

  // Below this zoom even names would be under 10 px: only shapes are drawn.
  var LOWEST_LABELLED_ZOOM = SCALES[SCALES.length - 2].min;

  function labelScale(zoom) {
    for (var i = 0; i < SCALES.length; i += 1) if (zoom >= SCALES[i].min) return SCALES[i];
    return SCALES[SCALES.length - 1];
  }

  // Just the state and the name (an objective's key too), and what must survive a cut: a
  // tile's count, the flag of a missing owner.
  function brief(data) {
    if (data.brief) return { text: data.brief, tail: data.tail || "" };
    var key = data.type === "objective" && data.key ? data.key + " " : "";
    var unowned = LAYERS.indexOf(data.type) >= 0 && !data.owner;
    return { text: (ICON[data.state] || "") + " " + key + data.name, tail: unowned ? " ⚑" : "" };
  }

  window.cataligentMapOverview = {
    fold: fold,
    lanes: lanes,
    labelScale: labelScale,
    LOWEST_LABELLED_ZOOM: LOWEST_LABELLED_ZOOM,
    brief: brief,
    layerOf: layerOf,
  };
})();
