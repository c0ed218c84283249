// The demand forecast chart of the supplies page: daily demand as bars, the projected stock
// (usable stock less the cumulative demand) as a line, the reserve target dashed. Data comes
// from a data-* attribute; no inline script (strict Content-Security-Policy). Without
// JavaScript the figures above the chart carry the same numbers.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function draw(el) {
    var f = JSON.parse(el.dataset.forecast || "{}");
    var dates = f.dates || [];
    if (dates.length === 0) { el.hidden = true; return; }
    var labels = f.labels || {};
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 40, left: 56, right: 24, bottom: 32 },
      xAxis: { type: "category", data: dates },
      yAxis: [{ type: "value", name: labels.demand }, { type: "value", name: labels.stock }],
      series: [
        { type: "bar", name: labels.demand, data: f.demand, itemStyle: { color: "#0b5cad" } },
        { type: "line", name: labels.stock, data: f.stock, yAxisIndex: 1, itemStyle: { color: "#2e7d32" } },
        { type: "line", name: labels.target, yAxisIndex: 1, data: dates.map(function () { return f.target; }),
          symbol: "none", lineStyle: { type: "dashed", color: "#b3261e" }, itemStyle: { color: "#b3261e" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("#supply-forecast[data-forecast]"), draw);
  });
})();
