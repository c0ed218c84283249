// Charts of the sentinel pages: the alert map (sentinels placed by longitude and latitude,
// coloured by status, sized by strength; a click opens the alert), one sparkline per
// indicator of a sentinel, and the analysis page's epidemic curve (by onset and by report
// date) with Rt and its 95% band. Data comes from data-* attributes; no inline script, so
// the pages keep a strict Content-Security-Policy. Without JavaScript the tables carry the
// same numbers.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  var STATUS = { "new": "#b3261e", "verifying": "#e8a33d", "confirmed": "#6a3d9a", "dismissed": "#8c959f" };
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    var map = document.getElementById("alert-map");
    if (map && map.dataset.points) {
      var points = JSON.parse(map.dataset.points);
      if (points.length === 0) { map.hidden = true; } else {
        var m = echarts.init(map);
        m.setOption({
          tooltip: { formatter: function (p) { return p.data.name + "<br>" + p.data.indicator + " · " + p.data.strength.toFixed(2); } },
          xAxis: { type: "value", scale: true, name: "lon" },
          yAxis: { type: "value", scale: true, name: "lat" },
          series: [{
            type: "scatter",
            data: points.map(function (p) { return { value: [p.lon, p.lat], name: p.name, indicator: p.indicator, strength: p.strength, id: p.id,
              itemStyle: { color: STATUS[p.status] || "#555" } }; }),
            symbolSize: function (v, p) { return 8 + 6 * Math.min(p.data.strength, 5); }
          }]
        });
        m.on("click", function (p) { window.location.href = "/sentinels/alerts/" + p.data.id; });
        charts.push(m);
      }
    }
    Array.prototype.forEach.call(document.querySelectorAll(".sparkline"), function (el) {
      var s = JSON.parse(el.dataset.series);
      var c = echarts.init(el);
      c.setOption({
        grid: { left: 2, right: 2, top: 2, bottom: 2 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: s.days, show: false },
        yAxis: { type: "value", show: false, min: 0 },
        series: [{ type: "line", data: s.values, showSymbol: false, connectNulls: false, lineStyle: { width: 1.5 } }]
      });
      charts.push(c);
    });
    var curve = document.getElementById("epicurve");
    if (curve && curve.dataset.analysis) {
      var a = JSON.parse(curve.dataset.analysis);
      var c1 = echarts.init(curve);
      c1.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "category", data: a.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "bar", name: curve.dataset.onset, data: a.by_onset },
          { type: "bar", name: curve.dataset.report, data: a.by_report }
        ]
      });
      charts.push(c1);
    }
    var rt = document.getElementById("rt-chart");
    if (rt && rt.dataset.analysis) {
      var r = JSON.parse(rt.dataset.analysis);
      if (r.rt.length === 0) { rt.hidden = true; } else {
        var c2 = echarts.init(rt);
        var ends = r.rt.map(function (w) { return w.t_end; });
        c2.setOption({
          tooltip: { trigger: "axis" },
          xAxis: { type: "category", data: ends },
          yAxis: { type: "value", min: 0 },
          series: [
            { type: "line", data: r.rt.map(function (w) { return w.q025; }), stack: "band", lineStyle: { opacity: 0 }, showSymbol: false },
            { type: "line", data: r.rt.map(function (w) { return w.q975 - w.q025; }), stack: "band", lineStyle: { opacity: 0 }, areaStyle: { color: "#b3261e", opacity: 0.15 }, showSymbol: false },
            { type: "line", name: "Rt", data: r.rt.map(function (w) { return w.mean; }), color: "#b3261e",
              markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#555" }, data: [{ yAxis: 1 }] } }
          ]
        });
        charts.push(c2);
      }
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
}());
