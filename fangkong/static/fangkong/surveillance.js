/* Sentinel surveillance: the series chart of an alert and the earlies chart (ECharts), and the report form's
   site switch. */
(function () {
  "use strict";

  function drawAlertChart(el) {
    if (!window.echarts) { return; }
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var chart = window.echarts.init(el);
        var alarms = s.dates.map(function (d, i) { return s.alarm[i] ? [d, s.observed[i]] : null; })
          .filter(function (p) { return p; });
        chart.setOption({
          tooltip: { trigger: "axis", renderMode: "richText" },  // canvas text: data never become markup
          legend: { top: 0, data: [el.dataset.labelObserved, el.dataset.labelThreshold, el.dataset.labelAlert] },
          grid: { left: 40, right: 16, top: 32, bottom: 28 },
          xAxis: { type: "category", data: s.dates, axisLabel: { formatter: function (v) { return v.slice(5); } } },
          yAxis: { type: "value", min: 0 },
          series: [
            { name: el.dataset.labelObserved, type: "line", data: s.observed, showSymbol: false,
              markArea: { itemStyle: { color: "rgba(179, 38, 30, 0.08)" },
                          data: [[{ xAxis: s.first_day }, { xAxis: s.last_day }]] } },
            { name: el.dataset.labelThreshold, type: "line", data: s.threshold, showSymbol: false,
              lineStyle: { type: "dashed" } },
            { name: el.dataset.labelAlert, type: "scatter", data: alarms, symbolSize: 9,
              itemStyle: { color: "#b3261e" } }
          ]
        });
        window.addEventListener("resize", function () { chart.resize(); });
      });
  }

  /* The four earlies: share within target per week (one line per interval), cases per week (bars). */
  function drawEarliesChart(el) {
    var source = document.getElementById(el.dataset.source);
    if (!window.echarts || !source) { return; }
    var data = JSON.parse(source.textContent);
    var weeks = data.weeks.map(function (w) { return w.week; });
    var series = data.intervals.map(function (interval) {
      return {
        name: interval.label, type: "line", yAxisIndex: 0, connectNulls: true,
        data: data.weeks.map(function (w) {
          var cell = w[interval.key];
          return cell && cell.share !== null ? Math.round(cell.share * 1000) / 10 : null;
        })
      };
    });
    series.push({ name: el.dataset.labelCases, type: "bar", yAxisIndex: 1, barMaxWidth: 24,
                  itemStyle: { color: "rgba(96, 125, 139, 0.35)" },
                  data: data.weeks.map(function (w) { return w.cases; }) });
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },  // canvas text: data never become markup
      legend: { top: 0, type: "scroll" },
      grid: { left: 44, right: 44, top: 40, bottom: 28 },
      xAxis: { type: "category", data: weeks },
      yAxis: [{ type: "value", min: 0, max: 100, name: el.dataset.labelShare },
              { type: "value", min: 0, name: el.dataset.labelCases, splitLine: { show: false } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-alert-chart]").forEach(drawAlertChart);
    document.querySelectorAll("[data-earlies-chart]").forEach(drawEarliesChart);
    document.querySelectorAll("select[data-reload-on-change]").forEach(function (select) {
      select.addEventListener("change", function () {
        var params = new URLSearchParams({ site: select.value });
        var date = document.getElementById("f-date");
        if (date && date.value) { params.set("date", date.value); }
        window.location.search = params.toString();
      });
    });
  });
})();
