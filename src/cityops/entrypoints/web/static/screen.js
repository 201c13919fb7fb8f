// 大屏 — draws the big screen from one data object and keeps it live over Server-Sent Events.
// The first object comes inside the page (#screen-data); /screen/events pushes new ones.
// <body data-ready="1"> once the charts have been drawn with data (for browser tests);
// #screen-conn[data-state] is "live" or "reconnecting"; #screen-updated shows the data's time.
(function () {
  "use strict";

  var L = {}, charts = {}, tz = "Asia/Shanghai", data = null, source = null, failures = 0;
  var COLORS = { epi: "#ff8a3d", city: "#3aa0ff", today: "#3aa0ff", lastWeek: "#8a94a6", overdue: "#ff4d4f" };

  function $(id) { return document.getElementById(id); }
  function json(id) { var el = $(id); return el ? JSON.parse(el.textContent) : null; }
  function setText(id, v) { var el = $(id); if (el) el.textContent = v; }
  function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }
  function catName(c) { return c.code === "_other" ? L.other : ((L.en ? c.en : c.name) || c.code || L.other); }
  function hm(iso, withSeconds) {
    var opts = { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) opts.second = "2-digit";
    return new Intl.DateTimeFormat("zh-CN", opts).format(new Date(iso));
  }
  function fmtLeft(s) {
    var sign = s < 0 ? "-" : "", a = Math.abs(s), d = Math.floor(a / 86400), h = Math.floor((a % 86400) / 3600),
      m = Math.floor((a % 3600) / 60), sec = Math.floor(a % 60);
    if (d) return sign + d + "d" + String(h).padStart(2, "0") + "h";
    if (h) return sign + h + "h" + String(m).padStart(2, "0") + "m";
    return sign + m + "m" + String(sec).padStart(2, "0") + "s";
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var axisStyle = {
    axisLine: { lineStyle: { color: "#2b4e82" } }, axisLabel: { color: "#b7c8e6", fontSize: 14 },
    splitLine: { lineStyle: { color: "rgba(43,78,130,.35)" } },
  };
  function chart(id) {
    if (!charts[id]) {
      var el = $(id);
      if (!el || !window.echarts) return null;
      charts[id] = echarts.init(el, "dark", { renderer: "canvas" });
    }
    return charts[id];
  }
  function base() {
    return { backgroundColor: "transparent", textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      animationDuration: 600, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } } };
  }
  function merge(a, b, c) { for (var k in b) a[k] = b[k]; if (c) for (var j in c) a[j] = c[j]; return a; }

  function drawEpidemic(d) {
    var t = d.today, other = Math.max(0, t.received - t.epidemic);
    chart("chart-epidemic").setOption(merge(base(), {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      title: { text: pct(t.epidemic_share), subtext: L.epidemic, left: "center", top: "36%",
        textStyle: { color: "#fff", fontSize: 26 }, subtextStyle: { color: "#8fb3e8", fontSize: 14 } },
      series: [{ type: "pie", radius: ["58%", "80%"], label: { show: false },
        data: [{ name: L.epidemic, value: t.epidemic, itemStyle: { color: COLORS.epi } },
               { name: L.other, value: other, itemStyle: { color: COLORS.city } }] }],
    }), true);
  }

  function drawTrend(d) {
    var hours = d.trend.hours.map(function (h) { return String(h).padStart(2, "0") + ":00"; });
    chart("chart-trend").setOption(merge(base(), {
      legend: { data: [L.today, L.last_week], right: 10, textStyle: { color: "#b7c8e6", fontSize: 14 } },
      grid: { left: 50, right: 20, top: 36, bottom: 30 },
      xAxis: merge({ type: "category", data: hours, boundaryGap: false }, axisStyle),
      yAxis: merge({ type: "value", minInterval: 1 }, axisStyle),
      series: [
        { name: L.today, type: "line", smooth: true, symbolSize: 7, data: d.trend.today,
          lineStyle: { width: 3, color: COLORS.today }, itemStyle: { color: COLORS.today },
          areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
            { offset: 0, color: "rgba(58,160,255,.45)" }, { offset: 1, color: "rgba(58,160,255,0)" }]) } },
        { name: L.last_week, type: "line", smooth: true, symbol: "none", data: d.trend.last_week,
          lineStyle: { width: 2, type: "dashed", color: COLORS.lastWeek }, itemStyle: { color: COLORS.lastWeek } },
      ],
    }), true);
  }

  function drawCategory(d) {
    var items = d.by_category.slice().reverse();
    chart("chart-category").setOption(merge(base(), {
      grid: { left: 8, right: 40, top: 4, bottom: 4, containLabel: true },
      xAxis: merge({ type: "value", minInterval: 1, show: false }, axisStyle),
      yAxis: merge({ type: "category", data: items.map(catName) }, axisStyle, { axisLabel: { color: "#b7c8e6", fontSize: 12, interval: 0 } }),
      series: [{ type: "bar", barMaxWidth: 18, label: { show: true, position: "right", color: "#fff" },
        data: items.map(function (c) {
          return { value: c.count, itemStyle: { color: c.epidemic ? COLORS.epi : COLORS.city, borderRadius: [0, 3, 3, 0] } };
        }) }],
    }), true);
  }

  function drawStreet(d) {
    var items = d.by_street;
    var names = items.map(function (s) { return s.code ? s.name : L.elsewhere; });
    chart("chart-street").setOption(merge(base(), {
      legend: { data: [L.closed, L.remaining], right: 10, textStyle: { color: "#b7c8e6", fontSize: 14 } },
      grid: { left: 40, right: 16, top: 34, bottom: 50 },
      xAxis: merge({ type: "category", data: names, axisLabel: { color: "#b7c8e6", fontSize: 13, interval: 0, rotate: names.length > 8 ? 30 : 0 } },
        { axisLine: axisStyle.axisLine }),
      yAxis: merge({ type: "value", minInterval: 1 }, axisStyle),
      series: [
        { name: L.closed, type: "bar", stack: "s", barMaxWidth: 34, itemStyle: { color: "#2ecc71" },
          data: items.map(function (s) { return s.closed + s.transferred; }) },
        { name: L.remaining, type: "bar", stack: "s", barMaxWidth: 34, itemStyle: { color: "#3aa0ff" },
          label: { show: true, position: "top", color: "#fff", formatter: function (p) { return items[p.dataIndex].received; } },
          data: items.map(function (s) { return s.remaining; }) },
      ],
    }), true);
  }

  function drawSpecial(d) {
    var g = d.special_groups.by_group.slice().reverse();
    chart("chart-special").setOption(merge(base(), {
      legend: { data: [L.open, L.overdue], right: 10, top: 0, textStyle: { color: "#b7c8e6", fontSize: 14 } },
      grid: { left: 8, right: 40, top: 30, bottom: 4, containLabel: true },
      xAxis: merge({ type: "value", minInterval: 1, show: false }, axisStyle),
      yAxis: merge({ type: "category", data: g.map(function (x) { return L.en ? x.en : x.name; }) }, axisStyle),
      series: [
        { name: L.open, type: "bar", barMaxWidth: 16, itemStyle: { color: "#9b6dff" },
          label: { show: true, position: "right", color: "#fff" }, data: g.map(function (x) { return x.open; }) },
        { name: L.overdue, type: "bar", barMaxWidth: 16, itemStyle: { color: COLORS.overdue },
          label: { show: true, position: "right", color: "#ffb3b3", formatter: function (p) { return p.value || ""; } },
          data: g.map(function (x) { return x.overdue; }) },
      ],
    }), true);
  }

  function drawHotspots(d) {
    var ol = $("hotspots"), max = 1;
    d.hotspots.forEach(function (h) { max = Math.max(max, h.count); });
    ol.innerHTML = d.hotspots.length ? d.hotspots.map(function (h) {
      return '<li data-area="' + esc(h.area) + '" data-category="' + esc(h.category) + '"><b>' + h.count + '</b>' +
        '<span class="what">' + esc(h.area_name) + " · " + esc(L.en ? h.category_en : h.category_name) +
        '<div class="bar" style="width:' + Math.round(100 * h.count / max) + '%"></div></span>' +
        '<span class="when">' + hm(h.last_at) + "</span></li>";
    }).join("") : '<li class="empty">' + esc(L.no_hotspots) + "</li>";
  }

  function stateName(code) {
    var t = L.state[code];
    return !t || t === code ? String(code).replace(/_/g, " ") : t;
  }
  function tickerItem(o) {
    var due = o.paused ? '<span class="due">' + esc(L.paused) + "</span>"
      : '<span class="due" data-screen-due="' + (Date.parse(o.resolve_due_at) / 1000) + '"></span>';
    return '<li data-number="' + esc(o.number) + '" class="' + (o.overdue ? "overdue" : "") + '">' +
      '<span class="badge ' + esc(o.urgency) + '">' + esc(L.urgency[o.urgency] || o.urgency) + "</span>" +
      '<span class="head"><a href="/orders/' + encodeURIComponent(o.number) + '">' + esc(o.number) + "</a> " +
      esc(L.en ? o.category_en : o.category_name) + " · " + esc(o.street || o.unit || o.area) + "</span>" + due +
      '<span class="what">' + esc(stateName(o.state)) + " · " + esc(o.text) + "</span></li>";
  }
  function drawTicker(d) {
    var ul = $("ticker"), items = d.urgent_open;
    if (!items.length) { ul.className = "ticker"; ul.innerHTML = '<li class="empty">' + esc(L.no_urgent) + "</li>"; return; }
    var html = items.map(tickerItem).join("");
    ul.className = "ticker";
    ul.innerHTML = html;
    // scroll (a second copy makes the loop seamless) when the list is taller than its window
    if (ul.scrollHeight > ul.parentNode.clientHeight + 4) {
      ul.innerHTML = html + html.replace(/data-number=/g, "aria-hidden=\"true\" data-copy=");
      ul.style.setProperty("--ticker-duration", Math.max(20, items.length * 4) + "s");
      ul.className = "ticker scrolling";
    }
    countdown();
  }
  function countdown() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-screen-due]").forEach(function (el) {
      var left = Math.round(parseFloat(el.dataset.screenDue) - now);
      el.textContent = left < 0 ? L.overdue + " " + fmtLeft(-left) : fmtLeft(left);
      var li = el.closest("li");
      if (li && left < 0) li.classList.add("overdue");
    });
  }

  // ---- the bottom row: duty, testing progress, testing sites, passes (each may be empty or unavailable)
  function quiet(sec, emptyText) {
    return '<p class="quiet">' + esc(sec && sec.available === false ? L.not_here : emptyText) + "</p>";
  }
  function kpi(cls, key, v, label) {
    return '<div class="kpi ' + cls + '"><b data-kpi="' + key + '">' + esc(v) + "</b><span>" + esc(label) + "</span></div>";
  }
  function panel(id, attrs, html) {
    var el = $(id);
    if (!el) return;
    for (var k in attrs) el.setAttribute("data-" + k, attrs[k] === null || attrs[k] === undefined ? "" : attrs[k]);
    var body = el.querySelector(".mini-body");
    if (body) body.innerHTML = html;
  }
  function drawDuty(d) {
    var s = d.duty || {}, t = s.totals || {};
    setText("duty-teams", t.teams || 0);
    panel("panel-duty", { "on-duty": t.on_duty || 0, teams: t.teams || 0, empty: s.empty ? 1 : 0 }, s.empty ? quiet(s, L.no_duty) :
      '<div class="kpis mini-kpis">' + kpi("ok", "duty_on", t.on_duty, L.on_duty) + kpi("warn", "duty_busy", t.busy, L.busy) +
      kpi("", "duty_off", t.off, L.off_duty) + kpi(t.teams_short_now ? "bad" : "", "duty_short", t.teams_short_now, L.teams_short) +
      '</div><ul class="rows" id="duty-teams-list">' + (s.teams || []).slice(0, 6).map(function (x) {
        return '<li data-team="' + esc(x.code) + '" data-on-duty="' + x.on_duty + '" class="' + (x.short_now ? "bad" : "") + '">' +
          '<span class="what">' + esc(x.name) + (x.street ? " <i>" + esc(x.street) + "</i>" : "") + "</span>" +
          '<span class="num">' + x.on_duty + "<i>/" + x.members + "</i></span></li>";
      }).join("") + "</ul>");
  }
  function drawTesting(d) {
    var s = d.testing || {}, t = s.total || {};
    setText("testing-round", s.round ? s.round.name : "");
    panel("panel-testing", { tested: t.tested || 0, untested: t.untested || 0, exempted: t.exempted || 0,
      rate: s.empty ? "" : t.rate, empty: s.empty ? 1 : 0 }, s.empty ? quiet(s, L.no_round) :
      '<div class="rate-row"><b class="rate">' + pct(t.rate) + '</b><dl class="facts-dark"><dt>' + esc(L.tested) + "</dt><dd>" +
      t.tested + "</dd><dt>" + esc(L.untested) + '</dt><dd class="warn">' + t.untested + "</dd><dt>" + esc(L.exempted) +
      "</dt><dd>" + t.exempted + '</dd></dl></div><ul class="rows" id="testing-worst">' +
      (s.worst_committees || []).slice(0, 4).map(function (c) {
        return '<li data-committee="' + esc(c.code) + '"><span class="what">' + esc(c.name) + '</span><span class="bar"><span style="width:' +
          (c.rate * 100).toFixed(1) + '%"></span></span><span class="num">' + Math.round(c.rate * 100) + "% <i>" +
          esc(L.untested_short) + " " + c.untested + "</i></span></li>";
      }).join("") + "</ul>");
  }
  function dash(v) { return v === null || v === undefined ? "–" : v; }
  function drawSites(d) {
    var s = d.sites || {}, m = s.summary || {};
    setText("sites-over", m.over || 0);
    panel("panel-sites", { sites: m.sites || 0, over: m.over || 0, empty: s.empty ? 1 : 0 }, s.empty ? quiet(s, L.no_sites) :
      '<table class="sites"><thead><tr><th>' + [L.site, L.queue, L.per_hour, L.samplers, L.scanners, L.swabs_tubes].map(esc).join("</th><th>") +
      '</th></tr></thead><tbody id="sites-list">' + (s.items || []).slice(0, 5).map(function (x) {
        var sup = x.supplies || {};
        return '<tr data-device="' + esc(x.device) + '" data-level="' + esc(x.level) + '" class="' + esc(x.level) + (x.stale ? " stale" : "") +
          '"><td class="what">' + esc(x.name) + "</td><td>" + x.queue_length + "</td><td>" + x.samples_per_hour + "</td><td>" +
          x.staff_on_site + "</td><td>" + (x.pda_total ? x.pda_working + "/" + x.pda_total : "–") + "</td><td>" +
          dash(sup.swabs) + "/" + dash(sup.tubes) + "</td></tr>";
      }).join("") + "</tbody></table>");
  }
  function drawPasses(d) {
    var s = d.passes || {};
    panel("panel-passes", { issued: s.issued || 0, refused: s.refused || 0, scans: s.scans || 0, denied: s.denied || 0,
      empty: s.empty ? 1 : 0 }, s.available === false ? quiet(s, "") : s.empty ? quiet(s, L.no_passes) :
      '<div class="kpis mini-kpis">' + kpi("ok", "passes_issued", s.issued, L.issued) +
      kpi("warn", "passes_refused", s.refused + s.rejected, L.refused) + kpi("", "passes_scans", s.scans, L.scans) +
      kpi("bad", "passes_denied", s.denied, L.denied) + '</div><ul class="rows" id="passes-denials">' +
      (s.top_denials || []).map(function (x) {
        return '<li data-reason="' + esc(x.reason) + '"><span class="what">' + esc(L.en ? x.en : x.zh) +
          '</span><span class="num">' + x.count + "</span></li>";
      }).join("") + "</ul>");
  }

  function numbers(d) {
    var t = d.today;
    setText("kpi-received", t.received); setText("kpi-closed", t.closed); setText("kpi-remaining", t.remaining);
    setText("kpi-epidemic-share", pct(t.epidemic_share)); setText("kpi-urgent", t.urgent);
    setText("kpi-special-today", t.special);
    setText("kpi-change", d.trend.change === null ? "–" : (d.trend.change >= 0 ? "+" : "") + Math.round(d.trend.change * 100) + "%");
    setText("kpi-overdue", d.sla.overdue); setText("kpi-due-1h", d.sla.due_1h); setText("kpi-due-4h", d.sla.due_4h);
    setText("kpi-open", d.sla.open); setText("kpi-urgent-open", d.sla.urgent_open);
    setText("kpi-special-open", d.special_groups.open); setText("kpi-special-overdue", d.special_groups.overdue);
    setText("screen-date", d.day);
    var up = $("screen-updated");
    if (up) { up.textContent = hm(d.generated_at, true); up.setAttribute("datetime", d.generated_at); }
    document.body.dataset.marker = d.marker;
  }

  function draw(d) {
    data = d;
    numbers(d);
    if (window.echarts) {
      drawEpidemic(d); drawTrend(d); drawCategory(d); drawStreet(d); drawSpecial(d);
    }
    drawHotspots(d); drawTicker(d);
    drawDuty(d); drawTesting(d); drawSites(d); drawPasses(d);
    if (window.echarts) document.body.dataset.ready = "1";
  }

  function connect() {
    if (!window.EventSource) { setInterval(poll, 30000); return; }
    source = new EventSource("/screen/events");
    source.addEventListener("screen", function (ev) {
      failures = 0;
      conn("live");
      draw(JSON.parse(ev.data));
    });
    source.onopen = function () { conn("live"); };
    source.onerror = function () {
      conn("reconnecting");
      failures += 1;
      // the browser retries by itself; a closed stream (e.g. the login expired) needs a new one
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        if (failures > 5) { location.reload(); return; }
        setTimeout(connect, Math.min(30000, 2000 * failures));
      }
    };
  }
  function poll() {
    fetch("/api/v1/screen", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (d) { conn("live"); draw(d); }).catch(function () { conn("reconnecting"); });
  }
  function conn(state) { var el = $("screen-conn"); if (el) el.dataset.state = state; }

  function clock() {
    var el = $("screen-time");
    if (el) el.textContent = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, hour: "2-digit", minute: "2-digit",
      second: "2-digit", hour12: false }).format(new Date());
    countdown();
  }

  document.addEventListener("DOMContentLoaded", function () {
    L = json("screen-labels") || {};
    var t = $("screen-time");
    if (t && t.dataset.tz) tz = t.dataset.tz;
    var first = json("screen-data");
    if (first) draw(first);
    connect();
    setInterval(clock, 1000);
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        for (var k in charts) charts[k].resize();
        if (data) drawTicker(data);
      }, 150);
    });
  });
  window.addEventListener("beforeunload", function () { if (source) source.close(); });
})();
