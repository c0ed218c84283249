// Charts of the jurisdiction page: where the subdivisions are (by centroid, sized by
// population) and the age structure. Data comes from data-* attributes; no inline script,
// so the page keeps a strict Content-Security-Policy.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    var map = document.getElementById("child-map");
    if (map && map.dataset.points) {
      var points = JSON.parse(map.dataset.points);
      var max = points.reduce(function (m, p) { return Math.max(m, p.population || 0); }, 1);
      var chart = echarts.init(map);
      chart.setOption({
        tooltip: { formatter: function (p) { return p.data.name + "<br>" + p.data.code + "<br>" + (p.data.population || 0).toLocaleString(); } },
        xAxis: { type: "value", scale: true, name: "lon" },
        yAxis: { type: "value", scale: true, name: "lat" },
        series: [{
          type: "scatter",
          data: points.map(function (p) { return { value: [p.lon, p.lat], name: p.name, code: p.code, population: p.population }; }),
          symbolSize: function (v, p) { return 8 + 30 * Math.sqrt((p.data.population || 0) / max); },
          itemStyle: { color: "#b3261e", opacity: 0.7 },
          label: { show: points.length <= 30, formatter: function (p) { return p.data.name; }, position: "right", fontSize: 11 }
        }]
      });
      chart.on("click", function (p) { window.location.href = "/jurisdictions/" + p.data.code; });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    var ages = document.getElementById("age-chart");
    if (ages && ages.dataset.ages) {
      var bands = JSON.parse(ages.dataset.ages);
      var a = echarts.init(ages);
      a.setOption({
        tooltip: {},
        xAxis: { type: "category", data: bands.map(function (b) { return b.band; }) },
        yAxis: { type: "value" },
        series: [{ type: "bar", data: bands.map(function (b) { return b.count; }), itemStyle: { color: "#0b5cad" } }]
      });
      window.addEventListener("resize", function () { a.resize(); });
    }
  });
})();
