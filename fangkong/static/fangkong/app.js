/* fangkong UI behaviour: auto-submitting selects, CSRF for htmx, region maps with ECharts. */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // htmx 4 names the event htmx:config:request (htmx 2: htmx:configRequest); forms also carry the token.
  ["htmx:config:request", "htmx:configRequest"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var headers = event.detail.headers || (event.detail.ctx && event.detail.ctx.request.headers);
      if (headers) { headers["X-CSRFToken"] = csrfToken(); }
    });
  });

  function autoSubmit() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function drawMap(el) {
    if (!window.echarts) { return; }
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var name = "region-" + el.dataset.url;
        window.echarts.registerMap(name, geo);
        var chart = window.echarts.init(el);
        var data = geo.features.map(function (f) {
          return { name: f.properties.name, value: f.properties.population, code: f.properties.code };
        });
        var values = data.map(function (d) { return d.value; });
        chart.setOption({
          tooltip: {
            trigger: "item", renderMode: "richText",  // drawn in the canvas: a name never becomes markup
            formatter: function (p) {
              return String(p.name).replace(/[{}|]/g, " ") + "\n" + el.dataset.labelPopulation + ": " +
                (p.value || 0).toLocaleString();
            }
          },
          visualMap: {
            min: Math.min.apply(null, values), max: Math.max.apply(null, values),
            left: 0, bottom: 0, calculable: true,
            formatter: function (v) { return Math.round(v).toLocaleString(); },
            inRange: { color: ["#fde8e6", "#f28b82", "#b3261e"] }
          },
          series: [{
            type: "map", map: name, roam: true, nameProperty: "name", data: data,
            label: { show: geo.features.length <= 30, fontSize: 10 },
            emphasis: { label: { show: true } }
          }]
        });
        chart.on("click", function (p) {
          if (p.data && p.data.code) {
            window.location.href = el.dataset.link.replace("000000", p.data.code);
          }
        });
        window.addEventListener("resize", function () { chart.resize(); });
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    autoSubmit();
    document.querySelectorAll("[data-region-map]").forEach(drawMap);
  });
})();
