/* The live blocked-capability map (issue 5).
 *
 * Cytoscape.js draws what /map/graph.json returns with a layered left-to-right dagre
 * layout: objectives → capabilities → dependencies. Every few seconds the page asks again
 * with If-None-Match; an unchanged map answers 304 and costs nothing. When only states
 * changed (same elements), nodes are restyled in place: no re-layout, and the user's zoom,
 * pan and open panel stay as they were. The side panel is an htmx partial.
 *
 * State is shown by colour, shape, icon and text together (colour-blind safe): the label's
 * first line says "■ BLOCKED", "▲ DEGRADED" or "● OPERATIONAL".
 *
 * The whole map (issue 18) stays readable at any size: operational items fold into one
 * tile per layer and team (or kind) that opens on a click, the layers sit in lanes, labels
 * follow the zoom (names only when zoomed out), and Find centres an item. The affected
 * view is drawn as before. The folding and lanes are plain functions in map_overview.js.
 */
(function () {
  "use strict";

  var app = document.getElementById("map-app");
  var overview = window.cataligentMapOverview;
  if (!app || typeof window.cytoscape !== "function" || !overview) return;

  var COLOURS = {
    blocked: { fill: "#fde4e1", line: "#b3261e" },
    degraded: { fill: "#fff1cc", line: "#8a5a00" },
    operational: { fill: "#e9f4ec", line: "#1e6b3a" },
  };
  var SHAPES = { blocked: "cut-rectangle", degraded: "barrel", operational: "round-rectangle" };
  var GREY = "#8d96a7";
  var FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif";

  var cfg = {
    graphUrl: app.dataset.graphUrl,
    tableUrl: app.dataset.tableUrl,
    pageUrl: app.dataset.pageUrl,
    whatifApi: app.dataset.whatifApi,
    whatifPage: app.dataset.whatifPage,
    pollMs: (parseInt(app.dataset.pollSeconds, 10) || 3) * 1000,
  };
  var form = document.getElementById("map-filters");
  var panel = document.getElementById("panel");
  var panelPlaceholder = panel.innerHTML;
  var liveBadge = document.getElementById("map-live");
  var announcer = document.getElementById("map-announce");
  var notesList = document.getElementById("map-notes");
  var emptyBox = document.getElementById("map-empty");
  var toolbar = app.querySelector(".map-toolbar");
  var container = document.getElementById("cy");
  var initial = JSON.parse(document.getElementById("map-initial").textContent);

  var etag = app.dataset.etag || null;
  var version = null;
  var signature = "";
  var expand = new Set(
    (new URLSearchParams(window.location.search).get("expand") || "").split(",").filter(Boolean)
  );
  var whatIf = false;
  var picked = new Set();
  var lastWhatIf = null;
  var panelUrl = null;
  var focusId = null;
  var pollTimer = null;
  // The whole map: the last graph JSON, what is folded, which tiles the user opened.
  var lastPayload = null;
  var graphItems = {}; // id -> data of every item in the graph JSON, drawn or folded
  var findListNames = "";
  var whole = false;
  var folded = null;
  var opened = new Set();
  var foldBy = "team";
  var scale = overview.labelScale(1);
  var findForm = document.getElementById("map-find");
  var findList = document.getElementById("map-find-list");
  var wholeTools = document.getElementById("map-whole-tools");
  var foldSelect = document.getElementById("map-fold-by");

  function colour(state) {
    return COLOURS[state] || COLOURS.operational;
  }

  function whatIfLine(n) {
    var extra = n.data("whatif");
    return extra ? "\n⇢ WHAT-IF: " + extra.toUpperCase() : "";
  }

  function fullLabel(n) {
    return n.data("label") + whatIfLine(n);
  }

  // Semantic zoom: the full label while it reads at 10 px or more on screen, then the name
  // alone in larger type, then nothing (see labelScale in map_overview.js).
  function labelOf(n) {
    if (scale.level === "full") return fullLabel(n);
    if (scale.level === "shapes") return "";
    var weight = n.data("type") === "objective" ? "600 " : "";
    var brief = overview.brief(n.data());
    return fitted(brief.text, brief.tail, weight + scale.font + "px " + FONT, scale.lines) + whatIfLine(n);
  }

  // At most `lines` lines of the tile's width: the text cut with "…" if need be, the tail
  // (a count, a flag) kept whole.
  var fittedCache = {};
  function fitted(text, tail, font, lines) {
    var key = font + "|" + lines + "|" + text + "|" + tail;
    if (fittedCache[key] === undefined) {
      var width = 186;
      var cut = text;
      var kept = wrap(cut + tail, width, font);
      while (kept.length > lines && cut.length > 1) {
        cut = cut.slice(0, -1);
        kept = wrap(cut.trim() + "…" + tail, width, font);
      }
      fittedCache[key] = kept.join("\n");
    }
    return fittedCache[key];
  }

  var cy = window.cytoscape({
    container: container,
    minZoom: 0.1,
    maxZoom: 2.5,
    boxSelectionEnabled: false,
    autoungrabify: true,
    style: [
      {
        selector: "node",
        style: {
          shape: function (n) {
            return SHAPES[n.data("state")] || "round-rectangle";
          },
          width: 204,
          height: 84,
          "background-color": function (n) {
            return colour(n.data("state")).fill;
          },
          "border-color": function (n) {
            return colour(n.data("state")).line;
          },
          "border-width": function (n) {
            var s = n.data("state");
            return s === "blocked" ? 3 : s === "degraded" ? 2.5 : 1.2;
          },
          "border-style": function (n) {
            return n.data("state") === "degraded" ? "dashed" : "solid";
          },
          label: labelOf,
          "text-wrap": "wrap",
          "text-max-width": 190,
          "text-valign": "center",
          "text-halign": "center",
          "font-size": function () {
            return scale.font;
          },
          "line-height": function () {
            return scale.lineHeight;
          },
          "font-family": FONT,
          color: "#1d2330",
        },
      },
      { selector: "node[?root]", style: { "border-width": 6, "border-style": "double" } },
      { selector: 'node[type = "objective"]', style: { "font-weight": 600 } },
      {
        selector: 'node[type = "group"]',
        style: { width: 230, height: 84, "background-opacity": 0.85 },
      },
      {
        // A folded tile looks like a stack of cards.
        selector: 'node[type = "collapsed"]',
        style: {
          ghost: "yes",
          "ghost-offset-x": 6,
          "ghost-offset-y": 6,
          "ghost-opacity": 0.45,
          "border-width": 1.6,
        },
      },
      {
        // Lanes are backdrops: drawn under everything, never hit by a click.
        selector: "node.lane",
        style: {
          shape: "rectangle",
          width: "data(w)",
          height: "data(h)",
          "background-color": "#f3f5f9",
          "background-opacity": 1,
          "border-width": 0,
          label: "data(title)",
          "text-valign": "top",
          "text-halign": "center",
          "text-margin-y": -6,
          "font-size": function () {
            return scale.lane;
          },
          "font-weight": 600,
          color: "#4a5262",
          "text-transform": "uppercase",
          "z-compound-depth": "bottom",
          events: "no",
          ghost: "no",
        },
      },
      {
        selector: "edge",
        style: {
          width: 1.4,
          "line-color": GREY,
          "source-arrow-color": GREY,
          "source-arrow-shape": "triangle",
          "curve-style": "bezier",
          "arrow-scale": 0.9,
        },
      },
      { selector: 'edge[criticality = "soft"]', style: { "line-style": "dotted" } },
      {
        // Links to a folded tile stand for several: thicker with more, quieter than a blockage.
        selector: "edge[?folded]",
        style: {
          width: function (e) {
            return Math.min(1.4 + (e.data("count") - 1) * 0.8, 4.5);
          },
          opacity: 0.75,
        },
      },
      { selector: "edge[?aux]", style: { display: "none" } },
      // On the whole map, links between operational items recede behind the blockages.
      { selector: "edge.quiet", style: { opacity: 0.4 } },
      { selector: "edge.aux-show", style: { display: "element", opacity: 0.7, "z-index": 9 } },
      {
        selector: "edge[?carries]",
        style: {
          width: 3.2,
          "line-color": function (e) {
            return colour(e.data("state")).line;
          },
          "source-arrow-color": function (e) {
            return colour(e.data("state")).line;
          },
          "z-index": 5,
        },
      },
      {
        selector: 'edge[label != ""][label]',
        style: {
          label: "data(label)",
          "font-size": 10,
          "text-background-color": "#fff",
          "text-background-opacity": 1,
          "text-background-padding": 2,
        },
      },
      {
        selector: "node.current",
        style: { "underlay-color": "#f0b400", "underlay-padding": 9, "underlay-opacity": 0.6 },
      },
      {
        selector: "node.whatif-hit",
        style: { "underlay-color": "#2450a6", "underlay-padding": 9, "underlay-opacity": 0.4 },
      },
      {
        selector: "node.picked",
        style: { "underlay-color": "#3a1f5c", "underlay-padding": 11, "underlay-opacity": 0.55 },
      },
      { selector: ".faded", style: { opacity: 0.3 } },
    ],
  });

  // --- Loading and live updates ---------------------------------------------------------

  // "A depends on B" arrives as source A, target B; it is drawn as B → A with the arrow
  // head at B, so that the layout's ranks grow from the objectives (see runLayout).
  function reversed(edge) {
    var data = Object.assign({}, edge.data, { source: edge.data.target, target: edge.data.source });
    return { data: data };
  }

  function elementSignature(elements) {
    var ids = elements.nodes.map(function (n) { return n.data.id; });
    ids = ids.concat(elements.edges.map(function (e) { return e.data.id; }));
    return ids.sort().join("|");
  }

  // The edges are drawn from the dependency to what depends on it (see `reversed`): with
  // the longest-path ranker every objective lands in the first column, what they need in
  // the next, and each dependency as far right as its depth, whatever the path lengths.
  // Groups (collapsed teams) are tiles in a grid instead, worst first.
  // Collapsed teams: tiles in a grid, worst first; their links show when one is pointed at.
  function severity(a, b) {
    var rank = function (n) {
      return [n.id().indexOf("go:") === 0 ? 0 : 1, -n.data("blocked"), -n.data("degraded"), -n.data("count")];
    };
    var x = rank(a), y = rank(b);
    for (var i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  }

  function runLayout(fit) {
    var items = cy.nodes('[type != "group"]');
    var groups = cy.nodes('[type = "group"]');
    cy.remove(".lane");
    var columns = Math.max(1, Math.floor((container.clientWidth - 2 * PADDING) / 250));
    if (items.nonempty()) {
      items.union(items.edgesWith(items)).layout({
        name: "dagre",
        rankDir: "RL",
        ranker: "longest-path",
        nodeSep: 16,
        rankSep: 56,
        edgeSep: 8,
        fit: false,
        animate: false,
      }).run();
      if (whole) placeInLanes(items);
    }
    if (groups.nonempty()) {
      // Teams not expanded: tiles to the right of what is, worst first.
      var box = items.nonempty() ? items.boundingBox() : { x2: -120, y1: 0 };
      var cols = items.nonempty() ? 2 : columns;
      groups.layout({
        name: "grid",
        cols: cols,
        sort: severity,
        condense: true,
        avoidOverlapPadding: 14,
        boundingBox: { x1: box.x2 + 120, y1: box.y1, w: cols * 260, h: Math.ceil(groups.length / cols) * 110 },
        fit: false,
        animate: false,
      }).run();
    }
    if (fit) fitReadable();
  }

  var NODE_WIDTH = 204;
  var NODE_HEIGHT = 84;

  // Objectives | capabilities | dependencies, each in its lane, under a heading.
  function placeInLanes(nodes) {
    var placed = overview.lanes(
      nodes.map(function (n) {
        return {
          id: n.id(),
          layer: overview.layerOf(n.data()) || n.data("layer") || null,
          state: n.data("state"),
          x: n.position("x"),
          y: n.position("y"),
        };
      }),
      cy.edges().map(function (e) { return [e.source().id(), e.target().id()]; }),
      { width: NODE_WIDTH, height: NODE_HEIGHT, columnGap: 56, rowGap: 16, laneGap: 36, padding: 18 }
    );
    cy.batch(function () {
      nodes.forEach(function (n) {
        n.position(placed.positions[n.id()]);
      });
      cy.add(placed.lanes.map(function (lane) {
        return {
          group: "nodes",
          classes: "lane",
          data: {
            id: "lane:" + (lane.layer || "other"),
            type: "lane",
            layer: lane.layer,
            title: lane.title,
            w: lane.x2 - lane.x1,
            h: lane.y2 - lane.y1,
          },
          position: { x: (lane.x1 + lane.x2) / 2, y: (lane.y1 + lane.y2) / 2 },
          selectable: false,
          grabbable: false,
        };
      }));
    });
  }

  // What a person can point at: not the lanes behind the drawing.
  function drawnItems() {
    return cy.nodes().not(".lane");
  }

  // Fitting a tall map into the window would shrink its text below reading size. Fit it
  // when that stays readable; otherwise keep the text readable and centre what is blocked:
  // the user pans, or presses Fit (0) for the overview.
  var READABLE_ZOOM = 0.6;
  var PADDING = 24;

  function fitReadable() {
    var box = cy.elements().boundingBox();
    if (!box.w || !box.h) return;
    var width = container.clientWidth - 2 * PADDING;
    var height = container.clientHeight - 2 * PADDING;
    var zoom = Math.min(width / box.w, height / box.h, 1);
    // The whole map labels by name when zoomed out (semantic zoom), so it may fit further
    // out before its text stops reading: down to where names are still 10 px.
    var readable = whole ? overview.LOWEST_LABELLED_ZOOM : READABLE_ZOOM;
    var clipped = zoom < readable;
    if (clipped) zoom = Math.max(readable, Math.min(width / box.w, 1));
    cy.zoom(zoom);
    cy.pan({
      x: PADDING - box.x1 * zoom + Math.max(0, (width - box.w * zoom) / 2),
      y: PADDING - box.y1 * zoom + Math.max(0, (height - box.h * zoom) / 2),
    });
    if (clipped) {
      var worst = cy.nodes('[state = "blocked"]');
      if (worst.empty()) worst = cy.nodes('[state = "degraded"]');
      if (worst.nonempty()) {
        var focus = worst.boundingBox();
        var x = focus.w * zoom > width
          ? PADDING - focus.x1 * zoom
          : container.clientWidth / 2 - ((focus.x1 + focus.x2) / 2) * zoom;
        var y = focus.h * zoom > height
          ? PADDING - focus.y1 * zoom
          : container.clientHeight / 2 - ((focus.y1 + focus.y2) / 2) * zoom;
        // Never scroll the first column (the objectives) out of view for nothing.
        cy.pan({ x: Math.min(x, PADDING - box.x1 * zoom), y: y });
      }
      announce("The map is larger than the window: drag to pan, or press Fit to see it all.");
    }
  }

  function viewingAll() {
    var view = form.querySelector('input[name="view"]:checked');
    return !!view && view.value === "all";
  }

  // What to draw of this graph JSON: all of it, or on the whole map (item by item, not
  // grouped by the server) the affected items plus tiles for the operational ones.
  function drawable(payload) {
    graphItems = {};
    payload.elements.nodes.forEach(function (n) {
      graphItems[n.data.id] = n.data;
    });
    var wasWhole = whole;
    whole = payload.mode === "items" && viewingAll();
    app.classList.toggle("whole-map", whole);
    if (wholeTools) wholeTools.hidden = !whole;
    if (whole !== wasWhole) cy.resize(); // the whole map gets a taller canvas
    folded = whole && foldBy !== "none" ? overview.fold(payload.elements, { by: foldBy, open: opened }) : null;
    updateFindList();
    return folded ? folded.elements : payload.elements;
  }

  function apply(payload, fit) {
    lastPayload = payload;
    var elements = drawable(payload);
    var next = elementSignature(elements) + (whole ? "|lanes" : "");
    if (next === signature && !fit) {
      // Only states (or labels) changed: restyle in place, nothing moves.
      cy.batch(function () {
        elements.nodes.concat(elements.edges).forEach(function (el) {
          var existing = cy.getElementById(el.data.id);
          if (existing.nonempty()) existing.data(el.data);
        });
      });
    } else {
      var zoom = cy.zoom();
      var pan = cy.pan();
      cy.batch(function () {
        cy.elements().remove();
        cy.add({ nodes: elements.nodes, edges: elements.edges.map(reversed) });
      });
      runLayout(fit || signature === "");
      if (!fit && signature !== "") {
        cy.zoom(zoom);
        cy.pan(pan);
      }
    }
    signature = next;
    cy.edges().removeClass("quiet");
    if (whole) {
      cy.edges().filter(function (e) {
        return e.source().data("state") === "operational" && e.target().data("state") === "operational";
      }).addClass("quiet");
    }
    var changed = version !== null && payload.version !== version;
    version = payload.version;
    app.dataset.version = String(version);
    app.dataset.mode = payload.mode;
    emptyBox.hidden = elements.nodes.length > 0;
    renderNotes(payload.notes || []);
    restoreMarks();
    updateSummary(payload);
    return changed;
  }

  function currentQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "expand" && value && !(key === "view" && value === "affected")) {
        params.set(key, String(value).trim());
      }
    });
    if (expand.size) params.set("expand", Array.from(expand).join(","));
    return params;
  }

  function setLive(ok, text) {
    liveBadge.hidden = false;
    liveBadge.classList.toggle("stale", !ok);
    var now = new Date();
    liveBadge.textContent = ok
      ? "● live · checked " + now.toLocaleTimeString()
      : "▲ " + (text || "not updating") + " · last try " + now.toLocaleTimeString();
  }

  function fetchGraph(fit) {
    var headers = { Accept: "application/json" };
    if (etag && !fit) headers["If-None-Match"] = etag;
    var query = currentQuery().toString();
    return fetch(cfg.graphUrl + (query ? "?" + query : ""), {
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
    })
      .then(function (response) {
        if (response.status === 304) {
          setLive(true);
          return;
        }
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          setLive(false, "signed out: reload the page");
          return;
        }
        if (!response.ok) {
          setLive(false, "server answered " + response.status);
          return;
        }
        etag = response.headers.get("ETag");
        return response.json().then(function (payload) {
          var changed = apply(payload, fit);
          setLive(true);
          if (changed) announce("The map was updated: states changed.");
          if (changed || fit) onMapChanged(fit);
        });
      })
      .catch(function () {
        setLive(false, "offline");
      });
  }

  function poll() {
    window.clearTimeout(pollTimer);
    var again = function () {
      pollTimer = window.setTimeout(poll, cfg.pollMs);
    };
    if (document.hidden) {
      again();
      return;
    }
    fetchGraph(false).then(again, again);
  }

  function onMapChanged(filtersChanged) {
    refreshTable();
    // Keep the open panel, but bring it up to date, unless the user is typing in it.
    if (!filtersChanged && panelUrl && !panel.contains(document.activeElement)) {
      window.htmx.ajax("GET", panelUrl, { target: "#panel", swap: "innerHTML" });
    }
    if (lastWhatIf && !filtersChanged) clearWhatIfResult();
  }

  function refreshTable() {
    var query = currentQuery();
    query.delete("expand");
    var q = query.toString();
    window.htmx.ajax("GET", cfg.tableUrl + (q ? "?" + q : ""), { target: "#map-table", swap: "innerHTML" });
    var csv = document.getElementById("map-csv");
    if (csv) csv.href = cfg.tableUrl + "?" + (q ? q + "&" : "") + "format=csv";
  }

  function updateSummary(payload) {
    var asOf = document.getElementById("map-asof");
    if (asOf && payload.computed_at) {
      asOf.dateTime = payload.computed_at;
      asOf.textContent = payload.computed_at.slice(0, 16).replace("T", " ");
    }
    var risk = document.getElementById("map-risk");
    if (risk && payload.value_at_risk !== undefined) {
      // The same format as the pages' `money` filter (cataligent/money.py).
      risk.textContent = new Intl.NumberFormat("en-US", {
        style: "currency",
        currency: risk.dataset.currency || "USD",
        minimumFractionDigits: 0,
        maximumFractionDigits: 0,
      }).format(Math.round(Number(payload.value_at_risk)));
    }
  }

  function renderNotes(notes) {
    notesList.textContent = "";
    notes.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      notesList.appendChild(li);
    });
    expand.forEach(function (slug) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Collapse team " + (slug === "_none" ? "(no team)" : slug);
      button.addEventListener("click", function () {
        expand.delete(slug);
        applyFilters();
      });
      li.appendChild(button);
      notesList.appendChild(li);
    });
    if (folded) {
      folded.opened.forEach(function (group) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "fold-again";
        button.dataset.group = group.id;
        button.textContent = "Fold " + group.name + " again";
        button.addEventListener("click", function () {
          opened.delete(group.id);
          announce("Folded " + group.name + ".");
          redraw();
        });
        li.appendChild(button);
        notesList.appendChild(li);
      });
    }
  }

  // Draw the last graph JSON again (a tile opened or folded): new layout, same zoom.
  function redraw() {
    if (lastPayload) apply(lastPayload, false);
  }

  function openGroup(id) {
    var group = cy.getElementById(id);
    var members = group.nonempty() ? group.data("members") : [];
    if (!members.length) return;
    opened.add(id);
    announce("Showing the " + group.data("name") + ".");
    redraw();
    var shown = cy.collection();
    members.forEach(function (m) {
      shown = shown.union(cy.getElementById(m));
    });
    if (shown.nonempty()) {
      cy.center(shown);
      setCurrent(shown[0].id());
    }
  }

  // --- Find -------------------------------------------------------------------------------

  function findText(data) {
    return data.type === "objective" && data.key ? data.key + " " + data.name : data.name;
  }

  // Objectives, capabilities and dependencies in the graph JSON, drawn or folded.
  function findable() {
    return Object.keys(graphItems)
      .map(function (id) { return graphItems[id]; })
      .filter(function (d) { return overview.layerOf(d); });
  }

  function updateFindList() {
    if (!findList) return;
    var names = findable().map(findText).sort();
    if (findListNames === names.join("\n")) return;
    findListNames = names.join("\n");
    findList.textContent = "";
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      findList.appendChild(option);
    });
  }

  // The item a person means by what they typed: the exact name (or key, or slug), else the
  // first that starts with it, else the first that contains it.
  function lookUp(text) {
    var q = text.trim().toLowerCase();
    if (!q) return null;
    var candidates = findable().sort(function (a, b) {
      return findText(a).localeCompare(findText(b));
    });
    var words = function (d) {
      return [findText(d), d.name, d.key, d.slug].filter(Boolean).map(function (w) { return w.toLowerCase(); });
    };
    var tests = [
      function (w) { return w === q; },
      function (w) { return w.indexOf(q) === 0; },
      function (w) { return w.indexOf(q) >= 0; },
    ];
    for (var t = 0; t < tests.length; t += 1) {
      for (var i = 0; i < candidates.length; i += 1) {
        if (words(candidates[i]).some(tests[t])) return candidates[i];
      }
    }
    return null;
  }

  // Centre an item, opening its tile if it is folded, at a zoom where its full label reads.
  function find(text) {
    var data = lookUp(text);
    if (!data) {
      announce("Nothing called “" + text.trim() + "” on this map" + (whole ? "." : ": try the whole map."));
      return null;
    }
    var node = cy.getElementById(data.id);
    if (node.empty() && folded && folded.groupOf[data.id]) {
      opened.add(folded.groupOf[data.id]);
      redraw();
      node = cy.getElementById(data.id);
    }
    if (node.empty()) return null;
    if (cy.zoom() < 1) cy.zoom(1);
    cy.center(node);
    openPanel(node);
    return node;
  }

  function applyFilters() {
    var query = currentQuery().toString();
    window.history.replaceState(null, "", cfg.pageUrl + (query ? "?" + query : ""));
    fetchGraph(true);
  }

  // --- Marks: current item, what-if picks and results -----------------------------------

  function restoreMarks() {
    cy.batch(function () {
      cy.nodes().removeClass("current picked whatif-hit faded");
      if (focusId) cy.getElementById(focusId).addClass("current");
      picked.forEach(function (id) {
        cy.getElementById(id).addClass("picked");
      });
      if (lastWhatIf) markWhatIf(lastWhatIf);
    });
  }

  function setCurrent(id) {
    focusId = id;
    cy.nodes(".current").removeClass("current");
    cy.edges(".aux-show").removeClass("aux-show");
    if (!id) return;
    var node = cy.getElementById(id).addClass("current");
    node.connectedEdges("[?aux]").addClass("aux-show");
  }

  function announce(text) {
    announcer.textContent = text;
  }

  function describe(node) {
    var d = node.data();
    if (d.type === "group") {
      return d.name + ": " + d.blocked + " blocked, " + d.degraded + " degraded. Press Enter to expand.";
    }
    if (d.type === "collapsed") return d.name + ", folded. Press Enter to show each.";
    var parts = [(d.type === "objective" ? "Objective " + d.key + " " : "") + d.name, d.state];
    if (d.root) parts.push("root cause");
    parts.push(d.owner ? "owner " + d.owner : "no owner");
    if (d.root_causes && d.root_causes.length && !d.root) {
      parts.push("blocked by " + d.root_causes.map(nameOf).join(", "));
    }
    return parts.join(", ") + ". Press Enter for details.";
  }

  function nameOf(slug) {
    var data = graphItems["n:" + slug];
    return data ? data.name : slug;
  }

  // --- Side panel -------------------------------------------------------------------------

  function openPanel(node) {
    setCurrent(node.id());
    panelUrl = node.data("panel");
    window.htmx.ajax("GET", panelUrl, { target: "#panel", swap: "innerHTML" });
    announce("Details of " + node.data("name") + " are in the side panel.");
  }

  function closePanel() {
    panelUrl = null;
    panel.innerHTML = panelPlaceholder;
    setCurrent(null);
  }

  panel.addEventListener("htmx:afterSwap", function (event) {
    var article = panel.querySelector("[data-item-id]");
    var path = event.detail.pathInfo && event.detail.pathInfo.requestPath;
    if (path) panelUrl = path;
    if (article) setCurrent(article.getAttribute("data-item-id"));
    panel.querySelectorAll("[data-close-panel]").forEach(function (button) {
      button.hidden = false;
    });
    panel.scrollTop = 0;
  });
  panel.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) closePanel();
  });
  document.body.addEventListener("map-changed", function () {
    fetchGraph(false);
  });

  // --- What-if ----------------------------------------------------------------------------

  var buttons = {};
  toolbar.querySelectorAll("[data-action]").forEach(function (b) {
    buttons[b.dataset.action] = b;
  });

  function setWhatIf(on) {
    whatIf = on;
    buttons.whatif.setAttribute("aria-pressed", on ? "true" : "false");
    container.classList.toggle("picking", on);
    if (!on) {
      picked.clear();
      clearWhatIfResult();
    }
    updateWhatIfButtons();
    announce(on ? "What-if: pick dependencies that fail, or root causes that get fixed, then Show what would change." : "What-if off.");
  }

  function updateWhatIfButtons() {
    buttons["whatif-run"].disabled = !whatIf || picked.size === 0;
    buttons["whatif-run"].textContent = picked.size
      ? "Show what would change (" + picked.size + ")"
      : "Show what would change";
    buttons["whatif-clear"].hidden = !whatIf;
  }

  function togglePick(node) {
    if (node.data("type") === "objective") {
      announce("Pick capabilities or dependencies: an objective cannot fail by itself.");
      return;
    }
    if (picked.has(node.id())) picked.delete(node.id());
    else picked.add(node.id());
    clearWhatIfResult();
    updateWhatIfButtons();
    var how = node.data("root") ? " (a root cause: what if it were fixed)" : " (what if it failed)";
    announce((picked.has(node.id()) ? "Picked " + node.data("name") + how : "Unpicked " + node.data("name")) + ".");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function runWhatIf() {
    // A picked root cause is asked "what if it were fixed?", anything else "what if it failed?":
    // failing what is already blocked changes nothing.
    var block = [];
    var unblock = [];
    picked.forEach(function (id) {
      var data = graphItems[id];
      if (data) (data.root ? unblock : block).push(data.slug);
    });
    if (!block.length && !unblock.length) return;
    fetch(cfg.whatifApi, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify({ block: block, unblock: unblock }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          announce("What-if failed: " + JSON.stringify(answer.body));
          return;
        }
        lastWhatIf = answer.body;
        if (!showFoldedChanges(answer.body)) restoreMarks(); // a redraw restores them itself
        var query = block
          .map(function (slug) { return "block=" + encodeURIComponent(slug); })
          .concat(unblock.map(function (slug) { return "unblock=" + encodeURIComponent(slug); }));
        panelUrl = cfg.whatifPage + "?" + query.join("&");
        window.htmx.ajax("GET", panelUrl, { target: "#panel", swap: "innerHTML" });
      });
  }

  // What would change is worth seeing: open the tiles it is folded into (true if any).
  function showFoldedChanges(result) {
    if (!folded) return false;
    var before = opened.size;
    result.nodes.map(function (c) { return "n:" + c.slug; })
      .concat(result.objectives.map(function (c) { return "o:" + c.key; }))
      .forEach(function (id) {
        if (folded.groupOf[id]) opened.add(folded.groupOf[id]);
      });
    if (opened.size === before) return false;
    redraw();
    return true;
  }

  function markWhatIf(result) {
    var missing = 0;
    var hits = cy.collection();
    result.nodes.forEach(function (change) {
      var node = cy.getElementById("n:" + change.slug);
      if (node.nonempty()) hits = hits.union(node.data("whatif", change.to));
      else missing += 1;
    });
    result.objectives.forEach(function (change) {
      var node = cy.getElementById("o:" + change.key);
      if (node.nonempty()) hits = hits.union(node.data("whatif", change.to));
      else missing += 1;
    });
    hits.addClass("whatif-hit");
    drawnItems().not(hits).not(".picked").addClass("faded");
    var total = result.nodes.length + result.objectives.length;
    var text = total + " item" + (total === 1 ? "" : "s") + " would change state";
    if (missing) text += "; " + missing + " of them are not drawn in this view (show the whole map to see them)";
    announce(text + ".");
    var note = document.createElement("li");
    note.textContent = "What-if: " + text + ".";
    notesList.appendChild(note);
  }

  function clearWhatIfResult() {
    if (!lastWhatIf) return;
    lastWhatIf = null;
    cy.nodes().removeData("whatif");
    restoreMarks();
    renderNotes([]);
  }

  // --- Interaction ------------------------------------------------------------------------

  function activate(node) {
    if (!node || node.empty()) return;
    if (node.data("type") === "collapsed") {
      openGroup(node.id());
      return;
    }
    if (node.data("type") === "group") {
      expand.add(node.data("team_slug"));
      announce("Expanding " + node.data("name") + ".");
      applyFilters();
      return;
    }
    if (whatIf) togglePick(node);
    else openPanel(node);
    restoreMarks();
  }

  cy.on("tap", "node", function (event) {
    activate(event.target);
  });
  // A group's links to other groups appear while it is pointed at (see `aux`).
  cy.on("mouseover", 'node[type = "group"]', function (event) {
    event.target.connectedEdges("[?aux]").addClass("aux-show");
  });
  cy.on("mouseout", 'node[type = "group"]', function (event) {
    event.target.connectedEdges("[?aux]").removeClass("aux-show");
  });

  function zoomBy(factor) {
    cy.zoom({
      level: cy.zoom() * factor,
      renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 },
    });
  }

  function ensureVisible(node) {
    var box = node.renderedBoundingBox();
    if (box.x1 < 0 || box.y1 < 0 || box.x2 > container.clientWidth || box.y2 > container.clientHeight) {
      cy.center(node);
    }
  }

  function focusNode(node) {
    if (!node || node.empty()) return;
    setCurrent(node.id());
    ensureVisible(node);
    announce(describe(node));
  }

  function nearestByY(candidates, y) {
    var best = null;
    candidates.forEach(function (n) {
      if (!best || Math.abs(n.position("y") - y) < Math.abs(best.position("y") - y)) best = n;
    });
    return best;
  }

  function move(key) {
    var current = focusId ? cy.getElementById(focusId) : cy.collection();
    if (current.empty()) {
      var first = drawnItems().sort(function (a, b) {
        return a.position("x") - b.position("x") || a.position("y") - b.position("y");
      })[0];
      focusNode(first);
      return;
    }
    var y = current.position("y");
    // Edges run from a dependency to its dependent (see `reversed`).
    if (key === "ArrowRight") focusNode(nearestByY(current.incomers("node"), y));
    else if (key === "ArrowLeft") focusNode(nearestByY(current.outgoers("node"), y));
    else {
      var x = current.position("x");
      var column = drawnItems().filter(function (n) {
        return Math.abs(n.position("x") - x) < 40;
      });
      var sorted = column.sort(function (a, b) { return a.position("y") - b.position("y"); });
      var index = sorted.indexOf(current);
      var next = sorted[index + (key === "ArrowDown" ? 1 : -1)];
      if (next) focusNode(next);
    }
  }

  container.addEventListener("keydown", function (event) {
    var key = event.key;
    var handled = true;
    if (key.indexOf("Arrow") === 0) move(key);
    else if (key === "Enter" || key === " ") activate(focusId ? cy.getElementById(focusId) : null);
    else if (key === "+" || key === "=") zoomBy(1.25);
    else if (key === "-" || key === "_") zoomBy(0.8);
    else if (key === "0") cy.fit(undefined, 24);
    else if (key === "w" || key === "W") {
      if (!whatIf) setWhatIf(true);
      if (focusId) togglePick(cy.getElementById(focusId));
      restoreMarks();
    } else if (key === "Escape") {
      if (whatIf) setWhatIf(false);
      else closePanel();
    } else handled = false;
    if (handled) event.preventDefault();
  });

  // --- Export -----------------------------------------------------------------------------

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function exportName(extension) {
    return "cataligent-map-v" + version + "." + extension;
  }

  function escapeXml(text) {
    return String(text).replace(/[<>&"]/g, function (c) {
      return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" }[c];
    });
  }

  var measure = document.createElement("canvas").getContext("2d");

  function wrap(text, width, font) {
    measure.font = font;
    var lines = [];
    text.split("\n").forEach(function (paragraph) {
      var line = "";
      paragraph.split(" ").forEach(function (word) {
        var attempt = line ? line + " " + word : word;
        if (line && measure.measureText(attempt).width > width) {
          lines.push(line);
          line = word;
        } else line = attempt;
      });
      lines.push(line);
    });
    return lines;
  }

  function outline(shape, x, y, w, h) {
    var l = x - w / 2, r = x + w / 2, t = y - h / 2, b = y + h / 2, c = 10;
    if (shape === "cut-rectangle") {
      return '<polygon points="' + [
        [l + c, t], [r - c, t], [r, t + c], [r, b - c], [r - c, b], [l + c, b], [l, b - c], [l, t + c],
      ].join(" ") + '"';
    }
    if (shape === "barrel") {
      return '<path d="M' + (l + 12) + "," + t + " L" + (r - 12) + "," + t + " Q" + r + "," + y + " " +
        (r - 12) + "," + b + " L" + (l + 12) + "," + b + " Q" + l + "," + y + " " + (l + 12) + "," + t + ' Z"';
    }
    return '<rect x="' + l + '" y="' + t + '" width="' + w + '" height="' + h + '" rx="8"';
  }

  function toSvg() {
    var box = cy.elements().boundingBox();
    var pad = 24;
    var font = "12px system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif";
    var out = [
      '<svg xmlns="http://www.w3.org/2000/svg" width="' + Math.ceil(box.w + 2 * pad) + '" height="' +
        Math.ceil(box.h + 2 * pad) + '" viewBox="' + (box.x1 - pad) + " " + (box.y1 - pad) + " " +
        (box.w + 2 * pad) + " " + (box.h + 2 * pad) + '" font-family="system-ui, sans-serif" font-size="12">',
      "<title>Cataligent map, version " + version + "</title>",
      "<defs>",
    ];
    [["grey", GREY], ["blocked", COLOURS.blocked.line], ["degraded", COLOURS.degraded.line], ["operational", COLOURS.operational.line]].forEach(function (m) {
      out.push('<marker id="arrow-' + m[0] + '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="' + m[1] + '"/></marker>');
    });
    out.push("</defs>");
    out.push('<rect x="' + (box.x1 - pad) + '" y="' + (box.y1 - pad) + '" width="' + (box.w + 2 * pad) + '" height="' + (box.h + 2 * pad) + '" fill="#fff"/>');
    cy.edges(":visible").forEach(function (e) {
      var s = e.sourceEndpoint(), t = e.targetEndpoint();
      var carries = e.data("carries");
      var stroke = carries ? colour(e.data("state")).line : GREY;
      var marker = carries ? e.data("state") : "grey";
      out.push('<line x1="' + s.x + '" y1="' + s.y + '" x2="' + t.x + '" y2="' + t.y + '" stroke="' + stroke +
        '" stroke-width="' + (carries ? 3 : 1.4) + '"' + (e.data("criticality") === "soft" ? ' stroke-dasharray="2,3"' : "") +
        ' marker-start="url(#arrow-' + marker + ')"/>');
    });
    drawnItems().forEach(function (n) {
      var p = n.position(), w = n.width(), h = n.height(), d = n.data();
      var c = colour(d.state);
      var width = d.root ? 5 : d.state === "blocked" ? 3 : d.state === "degraded" ? 2.5 : 1.2;
      out.push(outline(SHAPES[d.state], p.x, p.y, w, h) + ' fill="' + c.fill + '" stroke="' + c.line + '" stroke-width="' + width + '"' +
        (d.state === "degraded" ? ' stroke-dasharray="6,3"' : "") + "/>");
      var lines = wrap(fullLabel(n), 190, font);
      var lineHeight = 15;
      var top = p.y - ((lines.length - 1) * lineHeight) / 2;
      out.push('<text text-anchor="middle" dominant-baseline="middle" fill="#1d2330"' + (d.type === "objective" ? ' font-weight="600"' : "") + ">" +
        lines.map(function (line, i) {
          return '<tspan x="' + p.x + '" y="' + (top + i * lineHeight) + '">' + escapeXml(line) + "</tspan>";
        }).join("") + "</text>");
    });
    out.push("</svg>");
    return out.join("\n");
  }

  var actions = {
    fit: function () { cy.fit(undefined, 24); },
    "zoom-in": function () { zoomBy(1.25); },
    "zoom-out": function () { zoomBy(0.8); },
    whatif: function () { setWhatIf(!whatIf); restoreMarks(); },
    "whatif-run": runWhatIf,
    "whatif-clear": function () { picked.clear(); clearWhatIfResult(); updateWhatIfButtons(); restoreMarks(); },
    png: function () {
      // Sharp on a projector, but within what a browser canvas can hold.
      var box = cy.elements().boundingBox();
      var factor = Math.min(2, 8000 / Math.max(box.w, 1), 8000 / Math.max(box.h, 1));
      // The picture is read at full size: every label in full, whatever the zoom on screen.
      var shown = scale;
      setScale(overview.labelScale(1));
      var png = cy.png({ full: true, scale: factor, bg: "#ffffff", output: "blob" });
      setScale(shown);
      download(png, exportName("png"));
    },
    svg: function () {
      download(new Blob([toSvg()], { type: "image/svg+xml" }), exportName("svg"));
    },
  };
  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) actions[button.dataset.action]();
  });

  // --- Filters ----------------------------------------------------------------------------

  var typing = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    applyFilters();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "q") return;
    applyFilters();
  });
  form.addEventListener("input", function (event) {
    if (event.target.name !== "q" && event.target.name !== "objective") return;
    window.clearTimeout(typing);
    typing = window.setTimeout(applyFilters, 350);
  });
  var hidden = form.querySelector('input[name="expand"]');
  if (hidden) hidden.remove();

  if (foldSelect) {
    foldSelect.addEventListener("change", function () {
      foldBy = foldSelect.value;
      opened.clear();
      announce(foldBy === "none" ? "Showing every item." : "Operational items folded by " + foldBy + ".");
      if (lastPayload) apply(lastPayload, true);
    });
    foldBy = foldSelect.value;
  }
  if (findForm) {
    findForm.addEventListener("submit", function (event) {
      event.preventDefault();
      find(findForm.querySelector("input").value);
    });
  }

  // --- Semantic zoom ------------------------------------------------------------------------

  function setScale(next) {
    if (next === scale) return;
    scale = next;
    cy.style().update();
  }

  cy.on("zoom", function () {
    setScale(overview.labelScale(cy.zoom()));
  });

  // --- Start ------------------------------------------------------------------------------

  toolbar.hidden = false;
  apply(initial, true);
  setLive(true);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
  pollTimer = window.setTimeout(poll, cfg.pollMs);

  // For people poking at the map from the console, and for the browser tests.
  window.cataligentMap = {
    cy: cy,
    version: function () { return version; },
    refresh: function () { return fetchGraph(false); },
    picked: function () { return Array.from(picked); },
    find: find,
    scale: function () { return scale.level; },
  };
})();
