// Command dashboard: draws the epidemic curve with Rt and the map of the subdivisions, and
// keeps every figure current from the server-sent events of /dashboard/events (each event
// carries the JSON of /api/v1/dashboard). Elements name their figure in data-figure (a dotted
// path into that JSON); no inline script, so the page keeps a strict Content-Security-Policy.
// Without JavaScript the page shows the figures of its load.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? o : o[k]; }, obj);
  }
  function thousands(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function chinaTime(ms) {
    // China Standard Time, UTC+8 with no daylight saving, like the server's rendering.
    var d = new Date(ms + 8 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function format(el, v) {
    if (v === null || v === undefined) { return "—"; }
    if (el.dataset.format === "pct") { return Number(v).toFixed(1); }
    if (el.dataset.format === "time") { return chinaTime(v); }
    return thousands(v);
  }
  var charts = [];
  var curveChart = null;
  function curveOption(el, a) {
    var rtByDay = {};
    a.rt.forEach(function (w) { rtByDay[w.t_end] = w.mean; });
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 36, left: 48, right: 48, bottom: 28 },
      xAxis: { type: "category", data: a.days },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, name: "Rt", splitLine: { show: false } }],
      series: [
        { type: "bar", name: el.dataset.onset, data: a.by_onset, itemStyle: { color: "#8ab4e8" } },
        { type: "bar", name: el.dataset.report, data: a.by_report, itemStyle: { color: "#0b5cad" } },
        { type: "line", name: "Rt", yAxisIndex: 1, connectNulls: true, color: "#b3261e", showSymbol: false,
          data: a.days.map(function (d) { return rtByDay[d] === undefined ? null : rtByDay[d]; }),
          markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#555" }, data: [{ yAxis: 1 }] } }
      ]
    };
  }
  function curve(el) {
    var a = JSON.parse(el.dataset.analysis || "null");
    if (!a) { el.hidden = true; return; }
    curveChart = echarts.init(el);
    curveChart.setOption(curveOption(el, a));
    charts.push(curveChart);
  }
  function boundary(code) {
    return fetch("/api/v1/jurisdictions/" + encodeURIComponent(code) + "/boundary", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }
  var mapChart = null;
  function mapData(areas) {
    return areas.map(function (a) { return { name: a.code, value: a.active }; });
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
      echarts.registerMap("fangkong-dashboard", { type: "FeatureCollection", features: features });
      var max = Math.max.apply(null, areas.map(function (a) { return a.active; }).concat([1]));
      mapChart = echarts.init(el);
      mapChart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var a = byCode[p.name];
          return a ? a.name + "<br>" + el.dataset.label + " " + a.active : p.name;
        } },
        visualMap: { min: 0, max: max, orient: "horizontal", left: "center", bottom: 0, calculable: true,
          inRange: { color: ["#f1f5f9", "#f3d36b", "#b3261e"] } },
        series: [{ type: "map", map: "fangkong-dashboard", roam: true, selectedMode: false,
          itemStyle: { borderColor: "#8c959f" }, emphasis: { label: { show: false } }, data: mapData(areas) }]
      });
      mapChart.on("click", function (p) { if (byCode[p.name]) { window.location.href = byCode[p.name].link; } });
      charts.push(mapChart);
    });
  }
  function apply(d) {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var v = get(d, el.dataset.figure);
      var text = format(el, v);
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.add("changed");
        setTimeout(function () { el.classList.remove("changed"); }, 2000);
      }
    });
    (d.areas || []).forEach(function (a) {
      var row = document.querySelector("#dash-areas tr[data-code='" + a.code + "']");
      if (!row) { return; }
      row.querySelector("[data-area=active]").textContent = thousands(a.active);
      row.querySelector("[data-area=new_7d]").textContent = thousands(a.new_7d);
    });
    if (mapChart) { mapChart.setOption({ series: [{ data: mapData(d.areas || []) }] }); }
    var curveEl = document.getElementById("dash-curve");
    if (curveChart && d.curve && curveEl) { curveChart.setOption(curveOption(curveEl, d.curve)); }
    var rt = document.getElementById("dash-rt");
    if (rt && d.curve && d.curve.rt.length > 0) { rt.textContent = d.curve.rt[d.curve.rt.length - 1].mean.toFixed(2); }
  }
  function live(root) {
    var status = document.getElementById("dash-live");
    if (typeof EventSource === "undefined" || !root.dataset.events) { return; }
    var source = new EventSource(root.dataset.events);
    source.addEventListener("figures", function (e) {
      apply(JSON.parse(e.data));
      if (status) { status.textContent = status.dataset.live; }
      root.dataset.updates = String(Number(root.dataset.updates || "0") + 1);
    });
    source.addEventListener("error", function () {
      if (status) { status.textContent = status.dataset.offline; }
    });
  }
  ready(function () {
    var root = document.getElementById("dashboard");
    if (!root) { return; }
    if (typeof echarts !== "undefined") {
      var c = document.getElementById("dash-curve");
      if (c) { curve(c); }
      var m = document.getElementById("dash-map");
      if (m) { map(m); }
      window.addEventListener("resize", function () { charts.forEach(function (ch) { ch.resize(); }); });
    }
    live(root);
  });
}());
