// The transmission-chain graph of the tracing pages: cases as nodes coloured by cluster,
// larger and labelled by generation, links as arrows styled by confidence (solid confirmed,
// dashed probable, dotted possible). Data comes from a data-* attribute; no inline script,
// so the pages keep a strict Content-Security-Policy. Without JavaScript the clusters and
// links tables carry the same information.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  var PALETTE = ["#0b5cad", "#b3261e", "#2e7d32", "#e8a33d", "#6a3d9a", "#00838f", "#ad1457", "#5d4037", "#558b2f", "#283593"];
  var LINE = { confirmed: "solid", probable: "dashed", possible: "dotted" };
  function chainGraph(el) {
    var g = JSON.parse(el.dataset.graph || "{}");
    var nodes = g.nodes || [];
    var labels = g.labels || {};
    if (nodes.length === 0) { el.hidden = true; return; }
    // One category per cluster, plus one for cases in no cluster (no link yet).
    var clusters = [];
    nodes.forEach(function (n) { if (n.cluster !== null && clusters.indexOf(n.cluster) < 0) { clusters.push(n.cluster); } });
    clusters.sort(function (a, b) { return a - b; });
    var categories = clusters.map(function (c, i) {
      return { name: (labels.cluster || "") + " " + c, itemStyle: { color: PALETTE[i % PALETTE.length] } };
    });
    categories.push({ name: "—", itemStyle: { color: "#8c959f" } });
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { formatter: function (p) {
        if (p.dataType === "edge") {
          var e = p.data;
          return "#" + e.source + " → #" + e.target + "<br>" + (labels[e.confidence] || e.confidence) +
            (e.serial_days === null ? "" : " · " + e.serial_days + " d");
        }
        var n = p.data;
        return n.label + " (#" + n.case_id + ")<br>" + n.classification + "<br>" + (labels.generation || "G") + " " + n.generation;
      } },
      legend: { type: "scroll", top: 0, data: categories.map(function (c) { return c.name; }) },
      series: [{
        type: "graph", layout: "force", roam: true, draggable: true,
        force: { repulsion: 120, edgeLength: 60 },
        categories: categories,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
        label: { show: nodes.length <= 150, position: "right", fontSize: 11,
          formatter: function (p) { return p.data.label + " · " + (labels.generation || "G") + p.data.generation; } },
        data: nodes.map(function (n) {
          var c = n.cluster === null ? categories.length - 1 : clusters.indexOf(n.cluster);
          return { id: String(n.id), name: String(n.id), case_id: n.id, label: n.label, classification: n.classification,
            generation: n.generation, category: c, symbolSize: Math.max(10, 30 - 5 * (n.generation - 1)) };
        }),
        links: (g.edges || []).map(function (e) {
          return { source: String(e.source), target: String(e.target), confidence: e.confidence, serial_days: e.serial_days,
            lineStyle: { type: LINE[e.confidence] || "solid", width: e.confidence === "confirmed" ? 2 : 1.2, opacity: 0.8 } };
        })
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node") { window.location.href = "/tracing/cases/" + encodeURIComponent(p.data.case_id); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  ready(function () {
    var graph = document.getElementById("chain-graph");
    if (graph && typeof echarts !== "undefined") { chainGraph(graph); }
  });
})();
