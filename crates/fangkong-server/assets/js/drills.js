// The charts of a drill report: median delays of the four earlies by county (bars), the
// daily demand for quarantine and hospital beds by county against their beds (lines, beds
// dashed), and the whole city by day. Data comes from data-chart attributes; no inline
// script (strict Content-Security-Policy). Without JavaScript the tables carry the figures.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function data(el) { try { return JSON.parse(el.dataset.chart || "null"); } catch (e) { return null; } }
  function show(el, option) {
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function delays(el) {
    var d = data(el);
    if (!d || d.counties.length === 0) { el.hidden = true; return; }
    show(el, {
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { top: 48, left: 56, right: 24, bottom: 40 },
      xAxis: { type: "category", data: d.counties },
      yAxis: { type: "value", name: d.unit },
      series: d.series.map(function (s) { return { type: "bar", name: s.name, data: s.data }; })
    });
  }
  function occupancy(el) {
    var d = data(el);
    if (!d || d.counties.length === 0) { el.hidden = true; return; }
    var series = [];
    d.counties.forEach(function (c) {
      series.push({ type: "line", name: c.name + " · " + d.labels.isolation, data: c.isolation, symbol: "none" });
      series.push({ type: "line", name: c.name + " · " + d.labels.beds, data: d.days.map(function () { return c.quarantine_beds; }), symbol: "none", lineStyle: { type: "dashed" } });
      series.push({ type: "line", name: c.name + " · " + d.labels.hospital, data: c.hospital, symbol: "none", yAxisIndex: 1 });
    });
    show(el, {
      tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
      grid: { top: 56, left: 56, right: 56, bottom: 32 },
      xAxis: { type: "category", data: d.days },
      yAxis: [{ type: "value", name: d.labels.isolation }, { type: "value", name: d.labels.hospital }],
      series: series
    });
  }
  function daily(el) {
    var d = data(el);
    if (!d || d.days.length === 0) { el.hidden = true; return; }
    show(el, {
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { top: 40, left: 56, right: 24, bottom: 32 },
      xAxis: { type: "category", data: d.days },
      yAxis: { type: "value" },
      series: d.series.map(function (s, i) { return { type: i < 2 ? "bar" : "line", name: s.name, data: s.data }; })
    });
  }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    var el = document.getElementById("delay-chart"); if (el) { delays(el); }
    el = document.getElementById("occupancy-chart"); if (el) { occupancy(el); }
    el = document.getElementById("daily-chart"); if (el) { daily(el); }
  });
})();
