// Immunization coverage page: the cumulative trend (persons at first dose, full course and
// booster) and the map of the subdivisions coloured by full-course coverage, from their
// boundaries. Data comes from data-* attributes and the boundary API; no inline script, so
// the page keeps a strict Content-Security-Policy. Without JavaScript the coverage table
// carries the same figures.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function trend(el) {
    var t = JSON.parse(el.dataset.trend || "{}");
    if (!t.days || t.days.length === 0) { el.hidden = true; return; }
    var colors = ["#8ab4e8", "#0b5cad", "#2e7d32"];
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 40, left: 64, right: 24, bottom: 32 },
      xAxis: { type: "category", data: t.days },
      yAxis: { type: "value" },
      series: ["first", "full", "booster"].map(function (k, i) {
        return { type: "line", name: t.names[i], data: t[k], symbol: "none", itemStyle: { color: colors[i] } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function boundary(code) {
    return fetch("/api/v1/jurisdictions/" + encodeURIComponent(code) + "/boundary", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }
  function map(el) {
    var areas = JSON.parse(el.dataset.areas || "[]");
    if (areas.length === 0) { el.hidden = true; return; }
    var byCode = {};
    areas.forEach(function (a) { byCode[a.code] = a; });
    Promise.all(areas.map(function (a) { return boundary(a.code); })).then(function (features) {
      features = features.filter(function (f) { return f && f.geometry; });
      if (features.length === 0) { el.hidden = true; return; }
      features.forEach(function (f) { f.properties = f.properties || {}; f.properties.name = f.properties.code; });
      echarts.registerMap("fangkong-coverage", { type: "FeatureCollection", features: features });
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var a = byCode[p.name];
          return a ? a.name + "<br>" + el.dataset.label + " " + a.rate + "%" : p.name;
        } },
        visualMap: { min: 50, max: 100, orient: "horizontal", left: "center", bottom: 0, text: ["100%", "50%"],
          inRange: { color: ["#b3261e", "#f3d36b", "#2e7d32"] }, calculable: true },
        series: [{
          type: "map", map: "fangkong-coverage", roam: true, selectedMode: false,
          itemStyle: { borderColor: "#8c959f" },
          emphasis: { label: { show: false } },
          data: areas.map(function (a) { return { name: a.code, value: a.rate }; })
        }]
      });
      chart.on("click", function (p) { if (byCode[p.name]) { window.location.href = "/immunization?within=" + encodeURIComponent(p.name); } });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    var t = document.getElementById("coverage-trend");
    if (t) { trend(t); }
    var m = document.getElementById("coverage-map");
    if (m) { map(m); }
  });
})();
