// The band charts of a scenario forecast: for each measure, the 5th–95th percentile band
// of the ensemble as a shaded area (p5 stacked with p95 − p5) and the median as a line.
// Data comes from data-chart attributes; no inline script (strict Content-Security-Policy).
// Without JavaScript the day table carries the figures.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function data(el) { try { return JSON.parse(el.dataset.chart || "null"); } catch (e) { return null; } }
  function band(el) {
    var d = data(el);
    if (!d || d.dates.length === 0) { el.hidden = true; return; }
    var width = d.p95.map(function (v, i) { return Math.max(0, v - d.p5[i]); });
    var chart = echarts.init(el);
    chart.setOption({
      title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", formatter: function (ps) {
        var i = ps[0].dataIndex;
        return d.dates[i] + "<br>" + d.labels.median + ": " + d.median[i] + "<br>" + d.labels.band + ": " + d.p5[i] + "–" + d.p95[i];
      } },
      legend: { top: 0, right: 0, data: [d.labels.band, d.labels.median] },
      grid: { top: 40, left: 56, right: 24, bottom: 32 },
      xAxis: { type: "category", data: d.dates, boundaryGap: false },
      yAxis: { type: "value", min: 0 },
      series: [
        { type: "line", name: "p5", data: d.p5, stack: "band", symbol: "none", lineStyle: { opacity: 0 } },
        { type: "line", name: d.labels.band, data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 } },
        { type: "line", name: d.labels.median, data: d.median, symbol: "circle", symbolSize: 4 }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("#bands-card .chart").forEach(band);
  });
})();
