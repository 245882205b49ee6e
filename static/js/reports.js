/* The reports' charts: draws every <canvas data-chart="ID"> from the JSON in
 * <script type="application/json" id="ID"> (templates/reports/_chart.html), with Chart.js
 * from static/vendor. One script for every report; no inline code (strict CSP).
 *
 * A dataset may carry `highlight`: one boolean per bar; highlighted bars are drawn in the
 * "blocked" colour (the green-red disconnects). `xAxisID`/`yAxisID` name scales of the
 * chart's options; their `title.text` is shown.
 */
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#64748b", "#0d9488", "#a855f7", "#ea580c", "#0891b2"];
  var HIGHLIGHT = "#b91c1c";

  function prepare(config) {
    var datasets = (config.data && config.data.datasets) || [];
    var bases = [];  // each dataset's own colour, for its legend swatch
    var highlighted = false;
    datasets.forEach(function (dataset, i) {
      var colour = dataset.color || PALETTE[i % PALETTE.length];
      bases[i] = colour;
      if (dataset.highlight) {
        highlighted = highlighted || dataset.highlight.some(Boolean);
        dataset.backgroundColor = dataset.highlight.map(function (on) {
          return on ? HIGHLIGHT : colour;
        });
        delete dataset.highlight;
      } else if (!dataset.backgroundColor) {
        dataset.backgroundColor = colour;
      }
      dataset.borderColor = dataset.borderColor || dataset.backgroundColor;
    });
    var options = config.options || {};
    // The legend shows each dataset in its own colour (a highlighted first bar would paint
    // its swatch red) and, when bars are highlighted, what the red means.
    options.plugins = options.plugins || {};
    var legend = (options.plugins.legend = options.plugins.legend || {});
    var defaults = window.Chart.defaults.plugins.legend;
    legend.labels = Object.assign({}, legend.labels, {
      generateLabels: function (chart) {
        var items = defaults.labels.generateLabels(chart);
        items.forEach(function (item) {
          var colour = bases[item.datasetIndex];
          if (colour) { item.fillStyle = colour; item.strokeStyle = colour; }
        });
        if (highlighted) {
          items.push({ text: "Disconnect", fillStyle: HIGHLIGHT, strokeStyle: HIGHLIGHT,
                       lineWidth: 0, hidden: false, datasetIndex: -1 });
        }
        return items;
      }
    });
    legend.onClick = function (event, item, chartLegend) {
      if (item.datasetIndex >= 0) defaults.onClick.call(this, event, item, chartLegend);
    };
    Object.keys(options.scales || {}).forEach(function (name) {
      var title = options.scales[name].title;
      if (title && title.text) title.display = true;
    });
    options.responsive = true;
    options.maintainAspectRatio = false;
    options.animation = false;
    config.options = options;
    return config;
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = prepare(JSON.parse(source.textContent));
      var bars = (config.data.labels || []).length;
      if (config.options.indexAxis === "y") {
        canvas.parentElement.style.height = Math.max(160, 28 * bars + 80) + "px";
      }
      new window.Chart(canvas, config);
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
})();
