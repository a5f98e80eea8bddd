/* Cases module charts: a cluster's chain graph and timeline, tracing timeliness by day (ECharts, vendored).
   Data come from the page's JSON endpoints named in data-* attributes; no inline script (strict CSP).
   Data never become markup: every tooltip is drawn in the canvas (renderMode "richText"), every label is
   canvas text, and the texts of the data go in through plain(), which drops ECharts' rich-text syntax. */
(function () {
  "use strict";
  function load(url, draw) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { draw(data); } });
  }
  function chart(el) { return window.echarts.init(el, null, { renderer: "canvas" }); }
  // A text of the data as ECharts shows it literally: no rich-text style ({style|text}), no template ({b}).
  function plain(value) { return String(value === null || value === undefined ? "" : value).replace(/[{}|]/g, " "); }

  document.querySelectorAll("[data-chain-graph]").forEach(function (el) {
    load(el.dataset.chainGraph, function (data) {
      var outside = el.dataset.labelOutOfScope || "";
      var nodes = data.nodes.map(function (n) {
        return {
          id: n.id, name: plain(n.case_no), category: n.in_scope ? Math.min(n.generation, 9) : 10,
          symbolSize: n.in_scope ? 10 + 2 * Math.min(n.offspring || 0, 10) : 8,
          tooltip: { formatter: plain(n.in_scope ? (n.case_no + " " + (n.name || "") + " · " + n.city + " · " + (n.report_date || ""))
                                                 : (n.case_no + " · " + n.city + " (" + outside + ")")) }
        };
      });
      // generations 0 (the index case) to 9 and later, named in the page's language
      var categories = [{ name: el.dataset.labelIndexCase || "0" }];
      for (var g = 1; g < 10; g++) {
        var label = (g < 9 ? el.dataset.labelGeneration : el.dataset.labelLastGeneration) || "{n}";
        categories.push({ name: label.replace("{n}", String(g)) });
      }
      categories.push({ name: outside, itemStyle: { color: "#bbb" } });
      // The forces scale with the room each case has in the panel, so that a large cluster stays inside it.
      // (the layout is round, gravity pulling to the centre: the panel's smaller side is what bounds it)
      var room = Math.min(el.clientWidth, el.clientHeight - 60) / Math.sqrt(Math.max(nodes.length, 1));
      var graph = chart(el);
      graph.setOption({
        tooltip: { renderMode: "richText" }, legend: [{ data: categories.map(function (c) { return c.name; }), bottom: 0 }],
        series: [{ type: "graph", layout: "force", roam: true, draggable: true, data: nodes,
                   links: data.links, categories: categories, edgeSymbol: ["none", "arrow"], top: 10, bottom: 50,
                   force: { repulsion: Math.min(160, room * 1.2), edgeLength: [Math.min(40, room * 0.25), Math.min(110, room * 0.7)],
                            gravity: nodes.length > 40 ? 0.25 : 0.08, layoutAnimation: false },
                   label: { show: nodes.length < 80, position: "right" } }]
      });
      el.setAttribute("data-ready", "1");
    });
  });

  document.querySelectorAll("[data-chain-timeline]").forEach(function (el) {
    load(el.dataset.chainTimeline, function (data) {
      chart(el).setOption({
        tooltip: { trigger: "axis", renderMode: "richText" }, xAxis: { type: "category", data: data.timeline.map(function (d) { return d.date; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: el.dataset.labelCases, data: data.timeline.map(function (d) { return d.cases; }) }]
      });
    });
  });

  document.querySelectorAll("[data-timeliness]").forEach(function (el) {
    load(el.dataset.timeliness, function (data) {
      var pct = function (key) { return data.days.map(function (d) { return d[key] === null ? null : Math.round(d[key] * 1000) / 10; }); };
      chart(el).setOption({
        tooltip: { trigger: "axis", renderMode: "richText" }, legend: { bottom: 0 },
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
