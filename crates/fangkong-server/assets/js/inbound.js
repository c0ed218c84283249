// Inbound-control pages: the risk-area map (the city's subdivisions from their boundaries,
// the designated jurisdictions coloured by level), copying a personal link, printing
// notices. Data comes from data-* attributes and the boundary API; no inline script, so
// the pages keep a strict Content-Security-Policy. Without JavaScript the tables carry
// the same information.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  var COLORS = { 3: "#b3261e", 2: "#e8a33d", 1: "#f3d36b" };
  function boundary(code) {
    return fetch("/api/v1/jurisdictions/" + encodeURIComponent(code) + "/boundary", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }
  function riskMap(el) {
    var areas = JSON.parse(el.dataset.areas || "[]");
    var background = JSON.parse(el.dataset.background || "[]");
    var labels = JSON.parse(el.dataset.labels || "{}");
    var note = document.getElementById("risk-map-note");
    var designated = {};
    areas.forEach(function (a) { designated[a.code] = a; });
    // Background first, designated after (larger first), so smaller areas are drawn on top.
    var codes = background.filter(function (c) { return !designated[c]; }).concat(areas.map(function (a) { return a.code; }));
    if (codes.length === 0) { el.hidden = true; return; }
    Promise.all(codes.map(boundary)).then(function (features) {
      features = features.filter(function (f) { return f && f.geometry; });
      if (features.length === 0) { el.hidden = true; if (note && labels.none) { note.textContent = labels.none; } return; }
      features.forEach(function (f) { f.properties = f.properties || {}; f.properties.name = f.properties.code; });
      echarts.registerMap("fangkong-risk", { type: "FeatureCollection", features: features });
      var drawn = {};
      features.forEach(function (f) { drawn[f.properties.code] = true; });
      var missing = areas.filter(function (a) { return !drawn[a.code]; }).length;
      if (note && missing > 0) { note.textContent = note.textContent + " (" + missing + ")"; }
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var a = designated[p.name];
          return a ? a.name + " " + a.code + "<br>" + a.level : p.name;
        } },
        visualMap: { type: "piecewise", dimension: 0, orient: "horizontal", left: "center", bottom: 0,
          pieces: [3, 2, 1].map(function (r) { return { value: r, label: labels[String(r)] || String(r), color: COLORS[r] }; }) },
        series: [{
          type: "map", map: "fangkong-risk", roam: true, selectedMode: false,
          itemStyle: { areaColor: "#eef1f4", borderColor: "#8c959f" },
          emphasis: { label: { show: false }, itemStyle: { areaColor: "#cfe3f7" } },
          data: areas.map(function (a) { return { name: a.code, value: a.rank }; })
        }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  ready(function () {
    var map = document.getElementById("risk-map");
    if (map && typeof echarts !== "undefined") { riskMap(map); }
    var copy = document.getElementById("copy-link");
    if (copy) {
      copy.addEventListener("click", function () {
        var input = document.getElementById(copy.dataset.target);
        input.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(input.value); } else { document.execCommand("copy"); }
      });
    }
    var print = document.getElementById("print-page");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  });
})();
