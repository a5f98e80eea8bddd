/* Cases module charts: a cluster's chain graph and timeline, tracing timeliness by day (ECharts, vendored).
   Data come from the page's JSON endpoints named in data-* attributes; no inline script (strict CSP). */
(function () {
  "use strict";
  function load(url, draw) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { draw(data); } });
  }
  function chart(el) { return window.echarts.init(el, null, { renderer: "canvas" }); }

  document.querySelectorAll("[data-chain-graph]").forEach(function (el) {
    load(el.dataset.chainGraph, function (data) {
      var outside = el.dataset.labelOutOfScope || "";
      var nodes = data.nodes.map(function (n) {
        return {
          id: n.id, name: n.case_no, category: n.in_scope ? Math.min(n.generation, 9) : 10,
          symbolSize: n.in_scope ? 10 + 2 * Math.min(n.offspring || 0, 10) : 8,
          tooltip: { formatter: n.in_scope ? (n.case_no + " " + (n.name || "") + " · " + n.city + " · " + (n.report_date || ""))
                                           : (n.case_no + " · " + n.city + " (" + outside + ")") }
        };
      });
      var categories = [];
      for (var g = 0; g < 10; g++) { categories.push({ name: "G" + g }); }
      categories.push({ name: outside, itemStyle: { color: "#bbb" } });
      chart(el).setOption({
        tooltip: {}, legend: [{ data: categories.map(function (c) { return c.name; }), bottom: 0 }],
        series: [{ type: "graph", layout: "force", roam: true, draggable: true, data: nodes,
                   links: data.links, categories: categories, edgeSymbol: ["none", "arrow"],
                   force: { repulsion: 160, edgeLength: [40, 110], gravity: 0.08 }, label: { show: nodes.length < 80, position: "right" } }]
      });
    });
  });

  document.querySelectorAll("[data-chain-timeline]").forEach(function (el) {
    load(el.dataset.chainTimeline, function (data) {
      chart(el).setOption({
        tooltip: { trigger: "axis" }, xAxis: { type: "category", data: data.timeline.map(function (d) { return d.date; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: el.dataset.labelCases, data: data.timeline.map(function (d) { return d.cases; }) }]
      });
    });
  });

  document.querySelectorAll("[data-timeliness]").forEach(function (el) {
    load(el.dataset.timeliness, function (data) {
      var pct = function (key) { return data.days.map(function (d) { return d[key] === null ? null : Math.round(d[key] * 1000) / 10; }); };
      chart(el).setOption({
        tooltip: { trigger: "axis" }, legend: { bottom: 0 },
        xAxis: { type: "category", data: data.days.map(function (d) { return d.key; }) },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [
          { type: "line", name: el.dataset.labelListed, data: pct("listed_within_24h"), connectNulls: true },
          { type: "line", name: el.dataset.labelQuarantined, data: pct("quarantined_within_24h"), connectNulls: true },
          { type: "line", name: el.dataset.labelManaged, data: pct("already_under_management"), connectNulls: true }
        ]
      });
    });
  });
})();
