// Charts of the testing pages: the coverage map of a round (area centroids coloured by the
// share of the target sampled; a click lists who is not yet sampled there) and the daily
// load of each lab against its capacity. Data comes from data-* attributes; no inline
// script, so the pages keep a strict Content-Security-Policy. Without JavaScript the
// tables beside the charts carry the same numbers.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  ready(function () {
    if (typeof echarts === "undefined") { return; }
    var map = document.getElementById("coverage-map");
    if (map && map.dataset.points) {
      var points = JSON.parse(map.dataset.points);
      if (points.length === 0) { map.hidden = true; } else {
        var chart = echarts.init(map);
        var max = points.reduce(function (m, p) { return Math.max(m, p.target || 0); }, 1);
        chart.setOption({
          tooltip: { formatter: function (p) {
            var d = p.data;
            return d.name + " " + d.code + "<br>" + d.sampled.toLocaleString() + " / " + d.target.toLocaleString() + " · " + pct(d.share);
          } },
          visualMap: { type: "continuous", min: 0, max: 1, dimension: 2, calculable: false, orient: "horizontal", left: "center", bottom: 0,
            text: ["100%", "0%"], inRange: { color: ["#b3261e", "#e8a33d", "#2e7d32"] } },
          grid: { bottom: 60 },
          xAxis: { type: "value", scale: true, name: "lon" },
          yAxis: { type: "value", scale: true, name: "lat" },
          series: [{
            type: "scatter",
            data: points.map(function (p) { return { value: [p.lon, p.lat, p.share], name: p.name, code: p.code, target: p.target, sampled: p.sampled, share: p.share }; }),
            symbolSize: function (v, p) { return 8 + 26 * Math.sqrt((p.data.target || 0) / max); },
            itemStyle: { opacity: 0.8 },
            label: { show: points.length <= 30, formatter: function (p) { return p.data.name; }, position: "right", fontSize: 11 }
          }]
        });
        chart.on("click", function (p) {
          var url = new URL(window.location.href);
          url.searchParams.set("level", map.dataset.level);
          url.searchParams.set("within", p.data.code);
          url.searchParams.delete("offset");
          url.hash = "not-sampled";
          window.location.href = url.toString();
        });
        window.addEventListener("resize", function () { chart.resize(); });
      }
    }
    var load = document.getElementById("lab-load");
    if (load && load.dataset.load) {
      var data = JSON.parse(load.dataset.load);
      var bars = echarts.init(load);
      var series = data.labs.map(function (l) {
        return { type: "bar", name: l.name, data: l.days, markLine: l.capacity ? {
          symbol: "none", label: { formatter: l.name + " " + (load.dataset.capacityLabel || "") + " " + l.capacity.toLocaleString() },
          lineStyle: { type: "dashed" }, data: [{ yAxis: l.capacity }] } : undefined };
      });
      bars.setOption({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", top: 0 },
        grid: { top: 40 },
        xAxis: { type: "category", data: data.days },
        yAxis: { type: "value" },
        series: series
      });
      window.addEventListener("resize", function () { bars.resize(); });
    }
  });
})();
