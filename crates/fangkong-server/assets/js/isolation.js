// Charts of the isolation and treatment pages: the 14-day forecast of a pool of rooms or beds
// (occupied as bars, free as a line, capacity dashed; the day the pool runs out marked in
// red from then on), and the print button of the release certificate. Data comes from a
// data-* attribute; no inline script, so the pages keep a strict Content-Security-Policy.
// Without JavaScript the sentence above each chart and its table carry the same numbers.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  var RED = "#b3261e";
  function forecast(el) {
    var f = JSON.parse(el.dataset.forecast || "{}");
    var dates = f.dates || [];
    if (dates.length === 0) { el.hidden = true; return; }
    var labels = f.labels || {};
    var out = f.runs_out_on;
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 40, left: 48, right: 24, bottom: 32 },
      xAxis: { type: "category", data: dates },
      yAxis: { type: "value" },
      series: [
        { type: "bar", name: labels.occupied, data: f.occupied, itemStyle: { color: "#0b5cad" },
          markArea: out ? { silent: true, itemStyle: { color: "rgba(179, 38, 30, 0.12)" },
            data: [[{ xAxis: out }, { xAxis: dates[dates.length - 1] }]] } : undefined },
        { type: "line", name: labels.free, data: f.free, itemStyle: { color: "#2e7d32" },
          markLine: out ? { symbol: "none", lineStyle: { color: RED, width: 2 },
            label: { formatter: (labels.runs_out || "") + " " + out, color: RED },
            data: [{ xAxis: out }] } : undefined },
        { type: "line", name: labels.capacity, data: dates.map(function () { return f.capacity; }),
          symbol: "none", lineStyle: { type: "dashed", color: "#57606a" }, itemStyle: { color: "#57606a" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  ready(function () {
    var print = document.getElementById("print-page");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
    if (typeof echarts === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-forecast]"), forecast);
  });
})();
