/* Command dashboard: choropleth of the subdivisions (click to drill down), epidemic curve stacked by
   detection route, Rt with its credible band. Data come from the page (#dashboard-data, a JSON block);
   shapes from the dashboard's geo.json. Re-drawn after every htmx swap (the big screen polls). */
(function () {
  "use strict";

  var charts = [];
  var ROUTE_COLOURS = ["#b3261e", "#e8710a", "#0b5cad", "#1a7f37", "#7b3fa0", "#5f6b7a"];

  function pageData() {
    var el = document.getElementById("dashboard-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function dark() { return document.body.classList.contains("big-screen"); }
  function ink() { return dark() ? { color: "#cfd8e3" } : {}; }

  function lang() { return (document.documentElement.lang || "zh").slice(0, 2); }
  function nameOf(row) { return lang() === "en" ? row.name_en : row.name_zh; }

  function metricValue(row, metric) {
    if (metric === "rt") { return row.rt ? row.rt.mean : null; }
    if (metric === "signals") { return row.open_signals; }
    return row.incidence_7d;
  }

  function drawMap(el, cfg) {
    fetch(cfg.geo_url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var data = cfg.data, metric = cfg.metric;
        var rows = data.children.length ? data.children : [data.totals];
        var byCode = {};
        rows.forEach(function (row) { byCode[row.code] = row; });
        // no child with a real boundary: the map is the region's own outline, coloured by its own figures
        if (!byCode[data.totals.code]) { byCode[data.totals.code] = data.totals; }
        var mapName = "dashboard-" + cfg.geo_url;
        window.echarts.registerMap(mapName, geo);
        var values = [];
        var series = geo.features.map(function (f) {
          var row = byCode[f.properties.code] || {};
          var v = metricValue(row, metric);
          if (v !== null && v !== undefined) { values.push(v); }
          return { name: f.properties.name, code: f.properties.code, value: v === null ? "-" : v,
                   drill: data.children.length > 0, row: row };
        });
        var chart = window.echarts.init(el);
        charts.push(chart);
        var max = values.length ? Math.max.apply(null, values) : 1;
        chart.setOption({
          tooltip: {
            trigger: "item", renderMode: "richText",
            formatter: function (p) {
              var row = (p.data && p.data.row) || {};
              var rt = row.rt ? row.rt.mean + " (" + row.rt.lower + "–" + row.rt.upper + ")" : "—";
              return String(p.name).replace(/[{}|]/g, " ") + "\n" + cfg.labels.metrics.incidence + ": " + (row.incidence_7d === null || row.incidence_7d === undefined ? "—" : row.incidence_7d) +
                "\n" + cfg.labels.rt + ": " + rt + "\n" + cfg.labels.metrics.signals + ": " + (row.open_signals || 0);
            }
          },
          visualMap: {
            min: 0, max: Math.max(max, metric === "rt" ? 2 : 1), orient: "horizontal", left: "center", bottom: 0,
            calculable: true, itemHeight: 160, inRange: { color: ["#fdf1ef", "#f28b82", "#b3261e", "#6d140f"] }
          },
          series: [{
            type: "map", map: mapName, roam: false, data: series,
            label: { show: geo.features.length <= 30, fontSize: 11 },
            emphasis: { label: { show: true } }
          }]
        });
        chart.on("click", function (p) {
          if (p.data && p.data.drill && p.data.code) {
            window.location.href = cfg.child_link.replace("000000", p.data.code);
          }
        });
        el.setAttribute("data-ready", "1");
      });
  }

  function drawCurve(el, cfg, which) {
    var curve = cfg.data.curve;
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    if (charts.indexOf(chart) < 0) { charts.push(chart); }
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },  // drawn in the canvas: no inline styles (CSP)
      legend: { top: 0, type: "scroll", textStyle: ink() },
      textStyle: ink(),
      grid: { left: 40, right: 10, top: 36, bottom: 40 },
      xAxis: { type: "category", data: curve.dates },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: [{ type: "inside" }],
      series: curve.routes.map(function (route, i) {
        return { name: cfg.labels.routes[route] || route, type: "bar", stack: "route",
                 itemStyle: { color: ROUTE_COLOURS[i % ROUTE_COLOURS.length] }, data: curve[which][route] };
      })
    }, true);
    curveClick(chart, cfg, which);
  }

  // A bar opens the line list of exactly its cases: infections (confirmed + asymptomatic) of the region and
  // detection route, reported by the dashboard's day, with that report date (by_report) or onset date (by_onset).
  function curveUrl(cfg, which, day, route) {
    var params = ["classification=confirmed,asymptomatic", "detection_route=" + encodeURIComponent(route)];
    if (which === "by_onset") {
      params.push("onset_from=" + day, "onset_to=" + day, "date_to=" + cfg.data.date, "ordering=-onset");
    } else {
      params.push("date_from=" + day, "date_to=" + day);
    }
    return cfg.case_list + (cfg.case_list.indexOf("?") < 0 ? "?" : "&") + params.join("&");
  }

  function curveClick(chart, cfg, which) {
    chart.off("click");
    chart.on("click", function (p) {
      var day = cfg.data.curve.dates[p.dataIndex];
      var route = cfg.data.curve.routes[p.seriesIndex];
      if (day && route && cfg.case_list) { window.location.href = curveUrl(cfg, which, day, route); }
    });
    chart.getDom().setAttribute("data-curve-shown", which);
  }

  function drawRt(el, cfg) {
    var rt = cfg.data.rt;
    var chart = window.echarts.init(el);
    charts.push(chart);
    var lower = rt.lower.map(function (v) { return v === null ? "-" : v; });
    var width = rt.upper.map(function (v, i) { return v === null || rt.lower[i] === null ? "-" : +(v - rt.lower[i]).toFixed(2); });
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },  // drawn in the canvas: no inline styles (CSP)
      textStyle: ink(),
      grid: { left: 40, right: 10, top: 20, bottom: 40 },
      xAxis: { type: "category", data: rt.dates },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: cfg.labels.band_lower, type: "line", data: lower, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
        { name: cfg.labels.band, type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: "rgba(179,38,30,0.18)" } },
        { name: cfg.labels.rt, type: "line", data: rt.mean.map(function (v) { return v === null ? "-" : v; }),
          symbol: "none", itemStyle: { color: "#b3261e" },
          markLine: { silent: true, symbol: "none", data: [{ yAxis: 1, name: cfg.labels.threshold }], lineStyle: { color: "#5f6b7a", type: "dashed" } } }
      ]
    });
  }

  function init() {
    if (!window.echarts) { return; }
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var cfg = pageData();
    if (!cfg) { return; }
    document.querySelectorAll("[data-dashboard-map]").forEach(function (el) { drawMap(el, cfg); });
    document.querySelectorAll("[data-dashboard-curve]").forEach(function (el) {
      drawCurve(el, cfg, "by_report");
      document.querySelectorAll("[data-curve]").forEach(function (button) {
        button.addEventListener("click", function () {
          drawCurve(el, cfg, button.dataset.curve);
          document.querySelectorAll("[data-curve]").forEach(function (b) { b.classList.toggle("secondary", b !== button); });
        });
      });
    });
    document.querySelectorAll("[data-dashboard-rt]").forEach(function (el) { drawRt(el, cfg); });
    var select = document.getElementById("dash-metric");
    if (select) { select.addEventListener("change", function () { select.form.submit(); }); }
  }

  document.addEventListener("DOMContentLoaded", init);
  ["htmx:after:swap", "htmx:afterSwap"].forEach(function (name) { document.addEventListener(name, init); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
